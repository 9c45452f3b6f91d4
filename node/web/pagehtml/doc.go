// Package pagehtml holds the rules of a TwinSpace page's HTML, for the
// Pages tool and whatever else shows a page:
//
//   - Policy (policy.go): what a page may hold. Check refuses what is
//     dangerous with an EINVALID error whose message names it (a script,
//     style, object, embed or form element, an on… event handler, a
//     javascript:, vbscript: or data: address, an iframe of a service the
//     node does not list, naming its host) and whose field error is on
//     Field; Sanitize (bluemonday, then the links' rel and the embeds'
//     sandbox set on the tokens) keeps only what the policy allows, and is
//     what the server stores and what it applies again to what other nodes
//     send. Images come only from the TwinSpace's Materials
//     (MaterialsImages, a parameter of New).
//   - Embeds (embed.go): the node's list of embeddable services ([twinspace]
//     embeds of its configuration, each entry checked by
//     twinfed.CheckEmbedPrefix), compiled once into the expression that
//     Check, Sanitize and EmbedURL share; EmbedURL turns what a teacher
//     pastes (a YouTube or Vimeo link, an embed code…) into the embed's
//     address, and EmbedLookup is the editor's JSON endpoint for it.
//   - Diff (diff.go): two versions of a page compared block by block
//     (headings, paragraphs, list items, table rows, images, embeds),
//     word by word inside a changed block, for the history's "what
//     changed" view: a longest common subsequence, written here.
//
// The editor itself (web.Editor, templates/_editor.html, static/editor.js)
// is in the web kit, with the site's other templates and static files.
package pagehtml
