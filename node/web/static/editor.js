/* Twinfed's page editor (templates/_editor.html): turns the textarea of a
   page's HTML into a formatting editor a teacher uses without knowing
   HTML. No framework, no build step. Labels come from the data-l-*
   attributes the template fills in the reader's language; data-images is
   the JSON list of the TwinSpace's images ([{url, name, thumb, alt}]),
   data-embed the node's check of an embed address (?url= → {src}).
   On submit the HTML goes back into the textarea; the server checks and
   sanitises it whatever this script does. Without JavaScript the
   textarea itself is the editor. */
(function () {
  'use strict';

  // What a page may hold (node/web/pagehtml.go, PagePolicy): the editor
  // keeps its content inside it so that the server never has to refuse
  // what the editor made.
  var KEEP = {
    H2: [], H3: [], H4: [], P: [], BR: [], STRONG: [], B: [], EM: [], I: [], U: [], S: [], BLOCKQUOTE: [],
    UL: [], OL: [], LI: [], A: ['href', 'target'], TABLE: [], THEAD: [], TBODY: [], TR: [],
    TH: ['colspan', 'rowspan', 'scope'], TD: ['colspan', 'rowspan'], CAPTION: [], FIGURE: [], FIGCAPTION: [],
    IMG: ['src', 'alt', 'width', 'height'], IFRAME: ['src', 'title', 'width', 'height', 'allowfullscreen']
  };
  var DROP = { SCRIPT: 1, STYLE: 1, OBJECT: 1, EMBED: 1, FORM: 1, SVG: 1, MATH: 1, TEMPLATE: 1, NOSCRIPT: 1,
    META: 1, LINK: 1, BASE: 1, FRAME: 1, FRAMESET: 1, INPUT: 1, BUTTON: 1, SELECT: 1, TEXTAREA: 1, TITLE: 1, HEAD: 1 };
  var RENAME = { H1: 'H2', H5: 'H4', H6: 'H4', DIV: 'P' };

  function safeURL(v, tag) {
    var s = (v || '').replace(/[\u0000-\u0020\u007f]/g, '').toLowerCase();
    if (tag === 'IFRAME') { return s.indexOf('https://') === 0; }
    if (tag === 'IMG') { return s.charAt(0) === '/' && s.charAt(1) !== '/'; }
    return /^(https?:|mailto:|\/[^\/]|#)/.test(s) || (s !== '' && !/^[a-z][a-z0-9+.\-]*:/.test(s) && s.indexOf('//') !== 0);
  }

  // clean moves the allowed part of node's children into a fragment of
  // doc: unknown elements are unwrapped, dangerous ones dropped whole.
  function clean(node, doc) {
    var out = doc.createDocumentFragment();
    Array.prototype.forEach.call(node.childNodes, function (c) {
      if (c.nodeType === 3) { out.appendChild(doc.createTextNode(c.nodeValue)); return; }
      if (c.nodeType !== 1) { return; }
      var tag = c.nodeName.toUpperCase();
      if (DROP[tag]) { return; }
      tag = RENAME[tag] || tag;
      var keep = KEEP[tag];
      var inner = clean(c, doc);
      if (!keep) { out.appendChild(inner); return; }
      var e = doc.createElement(tag.toLowerCase());
      keep.forEach(function (a) {
        if (!c.hasAttribute(a)) { return; }
        var v = c.getAttribute(a);
        if ((a === 'href' || a === 'src') && !safeURL(v, tag)) { return; }
        if (a === 'target' && v !== '_blank') { return; }
        e.setAttribute(a, v);
      });
      if ((tag === 'IMG' || tag === 'IFRAME') && !e.hasAttribute('src')) { return; }
      if (tag === 'A' && !e.hasAttribute('href')) { out.appendChild(inner); return; }
      if (tag !== 'IFRAME') { e.appendChild(inner); }
      out.appendChild(e);
    });
    return out;
  }

  // parse reads HTML into an inert document (nothing loads or runs).
  function parse(html) {
    return new DOMParser().parseFromString('<body>' + html + '</body>', 'text/html').body;
  }

  function escapeHTML(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) { e.textContent = text; }
    return e;
  }

  var BUTTONS = [
    { cmd: 'p', label: 'paragraph', glyph: '¶', block: 'p' },
    { cmd: 'h2', label: 'h2', glyph: 'H2', block: 'h2' },
    { cmd: 'h3', label: 'h3', glyph: 'H3', block: 'h3' },
    { cmd: 'bold', label: 'bold', glyph: 'B', state: 'bold', key: 'b' },
    { cmd: 'italic', label: 'italic', glyph: 'I', state: 'italic', key: 'i' },
    { cmd: 'insertUnorderedList', label: 'ul', glyph: '•≡', state: 'insertUnorderedList' },
    { cmd: 'insertOrderedList', label: 'ol', glyph: '1≡', state: 'insertOrderedList' },
    { cmd: 'link', label: 'link', text: 'link', panel: true, key: 'k' },
    { cmd: 'table', label: 'table', text: 'table', panel: true },
    { cmd: 'image', label: 'image', text: 'image-short', panel: true, needs: 'images' },
    { cmd: 'embed', label: 'embed', text: 'embed-short', panel: true, needs: 'embed' },
    { cmd: 'undo', label: 'undo', glyph: '↶' },
    { cmd: 'redo', label: 'redo', glyph: '↷' }
  ];

  var count = 0;

  function Editor(root) {
    var self = this;
    count++;
    this.root = root;
    this.ta = root.querySelector('textarea');
    this.L = function (k) { return root.getAttribute('data-l-' + k) || ''; };
    this.saved = null;
    this.opener = null;

    var label = root.querySelector('label');
    var hint = root.querySelector('.hint');
    if (hint && this.L('hint')) { hint.textContent = this.L('hint'); }
    var areaID = this.ta.id + '-area';

    var bar = el('div', { role: 'toolbar', 'class': 'editor-toolbar', 'aria-label': this.L('toolbar'), 'aria-controls': areaID });
    this.buttons = [];
    BUTTONS.forEach(function (b) {
      if (b.needs && !root.getAttribute('data-' + b.needs)) { return; }
      var name = self.L(b.label);
      var btn = el('button', { type: 'button', 'class': 'editor-button', 'data-cmd': b.cmd, 'aria-label': name, title: name, tabindex: '-1' });
      // Formatting shows a sign; the panels a short word (no emoji:
      // school computers often lack their font).
      btn.appendChild(el('span', { 'aria-hidden': 'true' }, b.text ? (self.L(b.text) || name) : b.glyph));
      if (b.text) { btn.classList.add('editor-word'); }
      if (b.state || b.block) { btn.setAttribute('aria-pressed', 'false'); }
      if (b.panel) { btn.setAttribute('aria-haspopup', 'dialog'); btn.setAttribute('aria-expanded', 'false'); }
      btn._def = b;
      bar.appendChild(btn);
      self.buttons.push(btn);
    });
    if (this.buttons.length) { this.buttons[0].setAttribute('tabindex', '0'); }

    var area = el('div', { id: areaID, 'class': 'editor-area', contenteditable: 'true', role: 'textbox',
      'aria-multiline': 'true', 'aria-labelledby': label ? label.id : '', spellcheck: 'true' });
    var desc = this.ta.getAttribute('aria-describedby');
    if (desc) { area.setAttribute('aria-describedby', desc); }
    if (this.ta.getAttribute('aria-invalid')) { area.setAttribute('aria-invalid', 'true'); }
    area.appendChild(clean(parse(this.ta.value), document));
    if (!area.firstChild) { area.appendChild(el('p')).appendChild(el('br')); }
    this.area = area;

    this.panel = el('div', { 'class': 'editor-panel', role: 'dialog', 'aria-modal': 'false' });
    this.panel.hidden = true;

    // The label keeps naming the textarea (the form's field); a click on
    // it goes to the text.
    if (label) { label.addEventListener('click', function (e) { e.preventDefault(); area.focus(); }); }
    this.ta.hidden = true;
    this.ta.parentNode.insertBefore(bar, this.ta);
    this.ta.parentNode.insertBefore(this.panel, this.ta);
    this.ta.parentNode.insertBefore(area, this.ta);
    root.classList.add('editor-on');

    try {
      document.execCommand('styleWithCSS', false, false);
      document.execCommand('defaultParagraphSeparator', false, 'p');
    } catch (e) { /* older browsers: the defaults */ }

    bar.addEventListener('mousedown', function (e) { if (e.target.closest('button')) { e.preventDefault(); } });
    bar.addEventListener('click', function (e) {
      var btn = e.target.closest('button');
      if (btn) { self.run(btn); }
    });
    bar.addEventListener('keydown', function (e) { self.roving(e); });
    area.addEventListener('keydown', function (e) {
      if (!(e.ctrlKey || e.metaKey) || e.altKey) { return; }
      if (e.key === 'k' || e.key === 'K') { e.preventDefault(); self.run(self.button('link')); }
    });
    area.addEventListener('paste', function (e) { self.paste(e); });
    ['keyup', 'mouseup', 'input', 'focus'].forEach(function (ev) {
      area.addEventListener(ev, function () { self.update(); self.sync(); });
    });
    document.addEventListener('selectionchange', function () {
      if (document.activeElement === area) { self.update(); }
    });
    var form = this.ta.form;
    if (form) { form.addEventListener('submit', function () { self.sync(); }); }
    this.panel.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') { e.preventDefault(); self.close(); }
    });
  }

  Editor.prototype.button = function (cmd) {
    for (var i = 0; i < this.buttons.length; i++) {
      if (this.buttons[i].getAttribute('data-cmd') === cmd) { return this.buttons[i]; }
    }
    return null;
  };

  // sync writes the editor's HTML into the textarea the form sends.
  Editor.prototype.sync = function () {
    var div = document.createElement('div');
    div.appendChild(clean(this.area, document));
    // Empty paragraphs at the end are where the caret was, not content.
    this.ta.value = div.innerHTML.replace(/(?:<p><br><\/p>|<br>)+$/, '');
  };

  // roving moves the focus among the toolbar's buttons with the arrow
  // keys, Home and End (one tab stop for the whole toolbar).
  Editor.prototype.roving = function (e) {
    var i = this.buttons.indexOf(document.activeElement);
    if (i < 0) { return; }
    var n = this.buttons.length, j = -1;
    var rtl = getComputedStyle(this.root).direction === 'rtl';
    switch (e.key) {
      case 'ArrowRight': j = rtl ? i - 1 : i + 1; break;
      case 'ArrowLeft': j = rtl ? i + 1 : i - 1; break;
      case 'Home': j = 0; break;
      case 'End': j = n - 1; break;
      default: return;
    }
    e.preventDefault();
    j = (j + n) % n;
    this.buttons[i].setAttribute('tabindex', '-1');
    this.buttons[j].setAttribute('tabindex', '0');
    this.buttons[j].focus();
  };

  // update sets the buttons' aria-pressed from the selection.
  Editor.prototype.update = function () {
    var block = '';
    try { block = String(document.queryCommandValue('formatBlock') || '').toLowerCase().replace(/[<>]/g, ''); } catch (e) { }
    this.buttons.forEach(function (b) {
      var d = b._def, on = null;
      if (d.block) { on = block === d.block || (d.block === 'p' && (block === '' || block === 'div')); }
      if (d.state) { try { on = document.queryCommandState(d.state); } catch (e) { on = false; } }
      if (on !== null) { b.setAttribute('aria-pressed', on ? 'true' : 'false'); }
    });
  };

  Editor.prototype.save = function () {
    var sel = window.getSelection();
    if (sel.rangeCount && this.area.contains(sel.getRangeAt(0).commonAncestorContainer)) {
      this.saved = sel.getRangeAt(0).cloneRange();
    }
  };

  Editor.prototype.restore = function () {
    this.area.focus();
    var sel = window.getSelection();
    var r = this.saved;
    if (!r) {
      r = document.createRange();
      r.selectNodeContents(this.area);
      r.collapse(false);
    }
    sel.removeAllRanges();
    sel.addRange(r);
  };

  Editor.prototype.selectedText = function () {
    return this.saved ? this.saved.toString() : '';
  };

  Editor.prototype.insert = function (html) {
    this.restore();
    document.execCommand('insertHTML', false, html);
    this.saved = null;
    this.update();
    this.sync();
  };

  Editor.prototype.run = function (btn) {
    if (!btn) { return; }
    var d = btn._def;
    if (d.panel) {
      this.save();
      if (this.opener === btn) { this.close(); return; }
      this.open(btn);
      return;
    }
    this.close();
    this.area.focus();
    if (d.block) {
      var cur = btn.getAttribute('aria-pressed') === 'true';
      document.execCommand('formatBlock', false, '<' + (cur && d.block !== 'p' ? 'p' : d.block) + '>');
    } else {
      document.execCommand(d.cmd, false, null);
    }
    this.update();
    this.sync();
  };

  // open shows the panel of a button (link, table, image, embed) next to
  // the toolbar; Escape or Cancel closes it and gives the focus back.
  Editor.prototype.open = function (btn) {
    this.close();
    var self = this, d = btn._def, p = this.panel;
    p.textContent = '';
    p.setAttribute('aria-label', this.L(d.label));
    this.opener = btn;
    btn.setAttribute('aria-expanded', 'true');
    var id = this.ta.id + '-' + d.cmd;
    var status = el('p', { 'class': 'editor-status', role: 'status', 'aria-live': 'polite', id: id + '-status' });
    var ok = el('button', { type: 'button', 'class': 'primary' }, this.L('insert'));
    var cancel = el('button', { type: 'button' }, this.L('cancel'));
    cancel.addEventListener('click', function () { self.close(); });
    var field = function (name, type, labelText, value, extra) {
      var w = el('div', { 'class': 'field' });
      w.appendChild(el('label', { 'for': id + '-' + name }, labelText));
      var input = el('input', Object.assign({ id: id + '-' + name, type: type }, extra || {}));
      if (value !== undefined) { input.value = value; }
      w.appendChild(input);
      p.appendChild(w);
      return input;
    };
    var first;
    switch (d.cmd) {
      case 'link':
        var url = field('url', 'url', this.L('url'), '', { placeholder: 'https://', 'aria-describedby': id + '-status' });
        var text = this.selectedText() ? null : field('text', 'text', this.L('text'), '');
        first = url;
        ok.addEventListener('click', function () {
          var v = url.value.trim();
          if (!/^(https?:\/\/[^\s]+|mailto:[^\s]+|\/[^\/\s][^\s]*)$/i.test(v)) {
            if (/^[^\s:\/]+\.[^\s:]+$/.test(v)) { v = 'https://' + v; } else {
              status.textContent = self.L('url-bad');
              url.setAttribute('aria-invalid', 'true');
              url.focus();
              return;
            }
          }
          var label = text ? (text.value.trim() || v) : '';
          self.close(true);
          if (label) { self.insert('<a href="' + escapeHTML(v) + '">' + escapeHTML(label) + '</a>'); } else {
            self.restore();
            document.execCommand('createLink', false, v);
            self.sync();
          }
        });
        break;
      case 'table':
        var rows = field('rows', 'number', this.L('rows'), '3', { min: '1', max: '30' });
        var cols = field('cols', 'number', this.L('cols'), '3', { min: '1', max: '10' });
        first = rows;
        ok.addEventListener('click', function () {
          var r = Math.min(30, Math.max(1, parseInt(rows.value, 10) || 1));
          var c = Math.min(10, Math.max(1, parseInt(cols.value, 10) || 1));
          var h = '<table><thead><tr>' + new Array(c + 1).join('<th><br></th>') + '</tr></thead><tbody>';
          for (var i = 1; i < r; i++) { h += '<tr>' + new Array(c + 1).join('<td><br></td>') + '</tr>'; }
          self.close(true);
          self.insert(h + '</tbody></table><p><br></p>');
        });
        break;
      case 'image':
        var list = el('ul', { 'class': 'editor-images', role: 'listbox', 'aria-label': this.L('pick') });
        p.appendChild(el('p', { 'class': 'editor-pick' }, this.L('pick')));
        p.appendChild(list);
        var alt = field('alt', 'text', this.L('alt'), '', { 'aria-describedby': id + '-alt-hint' });
        alt.parentNode.appendChild(el('p', { 'class': 'hint', id: id + '-alt-hint' }, this.L('alt-hint')));
        var chosen = null;
        status.textContent = this.L('loading');
        first = list;
        this.images(function (imgs, err) {
          status.textContent = err ? self.L('failed') : (imgs.length ? '' : self.L('no-images'));
          imgs.forEach(function (im, k) {
            var li = el('li', { role: 'option', 'aria-selected': 'false', tabindex: k === 0 ? '0' : '-1', 'data-url': im.url });
            li.appendChild(el('img', { src: im.thumb || im.url, alt: '' }));
            li.appendChild(el('span', {}, im.name || im.url));
            var pick = function () {
              Array.prototype.forEach.call(list.children, function (o) { o.setAttribute('aria-selected', 'false'); o.setAttribute('tabindex', '-1'); });
              li.setAttribute('aria-selected', 'true');
              li.setAttribute('tabindex', '0');
              chosen = im;
              if (!alt.value) { alt.value = im.alt || ''; }
            };
            li.addEventListener('click', pick);
            li.addEventListener('keydown', function (e) {
              var sib = null;
              if (e.key === ' ' || e.key === 'Enter') { e.preventDefault(); pick(); return; }
              if (e.key === 'ArrowDown' || e.key === 'ArrowRight') { sib = li.nextElementSibling; }
              if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') { sib = li.previousElementSibling; }
              if (sib) { e.preventDefault(); sib.focus(); }
            });
            list.appendChild(li);
          });
        });
        ok.addEventListener('click', function () {
          if (!chosen) { status.textContent = self.L('pick'); return; }
          self.close(true);
          self.insert('<img src="' + escapeHTML(chosen.url) + '" alt="' + escapeHTML(alt.value.trim()) + '">');
        });
        break;
      case 'embed':
        var eu = field('url', 'url', this.L('embed-url'), '', { placeholder: 'https://', 'aria-describedby': id + '-hint ' + id + '-status' });
        eu.parentNode.appendChild(el('p', { 'class': 'hint', id: id + '-hint' }, this.L('embed-hint')));
        first = eu;
        ok.addEventListener('click', function () {
          status.textContent = self.L('loading');
          var u = self.root.getAttribute('data-embed');
          u += (u.indexOf('?') < 0 ? '?' : '&') + 'url=' + encodeURIComponent(eu.value.trim());
          fetch(u, { credentials: 'same-origin', headers: { Accept: 'application/json' } }).then(function (r) {
            return r.json().then(function (j) { return { ok: r.ok, j: j }; });
          }).then(function (res) {
            if (!res.ok || !res.j.src) {
              status.textContent = (res.j.error && res.j.error.message) || self.L('failed');
              eu.setAttribute('aria-invalid', 'true');
              eu.focus();
              return;
            }
            self.close(true);
            self.insert('<figure><iframe src="' + escapeHTML(res.j.src) + '" title="' + escapeHTML(self.L('embed-title')) +
              '" width="560" height="315" allowfullscreen></iframe></figure><p><br></p>');
          }).catch(function () { status.textContent = self.L('failed'); });
        });
        break;
    }
    p.appendChild(status);
    var actions = el('div', { 'class': 'actions' });
    actions.appendChild(ok);
    actions.appendChild(cancel);
    p.appendChild(actions);
    p.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && e.target.tagName === 'INPUT') { e.preventDefault(); ok.click(); }
    });
    p.hidden = false;
    if (first) { first.focus(); }
  };

  // close hides the panel; the focus goes back to its button, or to the
  // text when something was inserted.
  Editor.prototype.close = function (inserted) {
    if (!this.opener) { return; }
    var btn = this.opener;
    this.opener = null;
    btn.setAttribute('aria-expanded', 'false');
    this.panel.hidden = true;
    this.panel.textContent = '';
    if (!inserted) { btn.focus(); }
  };

  // images asks data-images for the TwinSpace's images once.
  Editor.prototype.images = function (done) {
    if (this.imageList) { done(this.imageList); return; }
    var self = this;
    fetch(this.root.getAttribute('data-images'), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (j) {
        var list = Array.isArray(j) ? j : (j.images || []);
        self.imageList = list.filter(function (im) { return im && typeof im.url === 'string' && safeURL(im.url, 'IMG'); });
        done(self.imageList);
      })
      .catch(function () { done([], true); });
  };

  // paste keeps the formatting of what is pasted that a page may hold.
  Editor.prototype.paste = function (e) {
    var cd = e.clipboardData;
    if (!cd) { return; }
    var html = cd.getData('text/html');
    e.preventDefault();
    if (html) {
      var div = document.createElement('div');
      div.appendChild(clean(parse(html), document));
      document.execCommand('insertHTML', false, div.innerHTML);
    } else {
      document.execCommand('insertText', false, cd.getData('text/plain'));
    }
    this.sync();
  };

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-editor]'), function (root) {
      if (!root._editor && root.querySelector('textarea')) { root._editor = new Editor(root); }
    });
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
}());
