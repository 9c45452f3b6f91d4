package pagehtml

import (
	"strings"

	"golang.org/x/net/html"
)

// Op says what became of a block or a word between two versions.
type Op string

// The operations of a diff.
const (
	Same    Op = "same"    // in both versions
	Added   Op = "added"   // only in the new version
	Removed Op = "removed" // only in the old version
	Changed Op = "changed" // a block of the old version rewritten in the new one: see Words
)

// Block is one block of a page (a heading, a paragraph, a list item,
// a table row, an image, an embed) in the comparison of two versions.
type Block struct {
	Op   Op     `json:"op"`
	Tag  string `json:"tag"`  // the block's element: p, h2, li, tr, img, iframe…; "" for text outside any
	Text string `json:"text"` // the block's text (an image's alt text, an embed's address); the new text of a changed block
	// Words are a changed block's words, each same, added or removed.
	Words []Word `json:"words,omitempty"`
}

// Word is a word of a changed block.
type Word struct {
	Op   Op     `json:"op"`
	Text string `json:"text"`
}

// blockTags are the elements whose text is one block.
var blockTags = map[string]bool{
	"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "li": true,
	"blockquote": true, "caption": true, "figcaption": true, "tr": true, "pre": true, "div": true,
	"ul": true, "ol": true, "table": true, "thead": true, "tbody": true, "figure": true,
}

// maxDiffCells bounds the table of a longest common subsequence; beyond
// it the middle of two versions is shown as removed then added.
const maxDiffCells = 4 << 20

// Diff compares two versions of a page's HTML block by block (the text
// of each heading, paragraph, list item, table row, and each image and
// embed) for the "what changed" view: blocks in both versions are same,
// the others added or removed, and a removed block followed by an added
// one of the same element is one changed block compared word by word.
func Diff(old, new string) []Block {
	a, b := htmlBlocks(old), htmlBlocks(new)
	eq := func(i, j int) bool { return a[i] == b[j] }
	var out []Block
	var removed, added []block
	flush := func() {
		n := min(len(removed), len(added))
		k := 0
		for ; k < n && removed[k].tag == added[k].tag; k++ {
			out = append(out, Block{Op: Changed, Tag: added[k].tag, Text: added[k].text, Words: diffWords(removed[k].text, added[k].text)})
		}
		for _, r := range removed[k:] {
			out = append(out, Block{Op: Removed, Tag: r.tag, Text: r.text})
		}
		for _, x := range added[k:] {
			out = append(out, Block{Op: Added, Tag: x.tag, Text: x.text})
		}
		removed, added = removed[:0], added[:0]
	}
	for _, e := range lcs(len(a), len(b), eq) {
		switch e.op {
		case Same:
			flush()
			out = append(out, Block{Op: Same, Tag: b[e.j].tag, Text: b[e.j].text})
		case Removed:
			removed = append(removed, a[e.i])
		case Added:
			added = append(added, b[e.j])
		}
	}
	flush()
	return out
}

// HasChanges reports whether a diff has anything but same blocks.
func HasChanges(d []Block) bool {
	for _, b := range d {
		if b.Op != Same {
			return true
		}
	}
	return false
}

type block struct{ tag, text string }

// htmlBlocks splits HTML into its blocks' texts, whitespace collapsed;
// an image is a block of its alt text, an embed one of its address.
func htmlBlocks(s string) []block {
	var out []block
	var stack []string
	var text strings.Builder
	emit := func() {
		t := strings.Join(strings.Fields(text.String()), " ")
		text.Reset()
		if t == "" {
			return
		}
		tag := ""
		if len(stack) > 0 {
			tag = stack[len(stack)-1]
		}
		out = append(out, block{tag, t})
	}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			emit()
			return out
		case html.TextToken:
			text.Write(z.Text())
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			t := z.Token()
			switch {
			case t.Data == "img" || t.Data == "iframe":
				if tt == html.EndTagToken {
					break
				}
				emit()
				key := "alt"
				if t.Data == "iframe" {
					key = "src"
				}
				v, _ := attr(t, key)
				if src, _ := attr(t, "src"); t.Data == "img" && v == "" {
					v = src
				}
				out = append(out, block{t.Data, strings.TrimSpace(v)})
			case t.Data == "br":
				text.WriteByte(' ')
			case t.Data == "td" || t.Data == "th":
				if tt == html.StartTagToken && strings.TrimSpace(text.String()) != "" {
					text.WriteString(" | ")
				}
			case blockTags[t.Data]:
				emit()
				if tt == html.EndTagToken {
					if i := lastIndex(stack, t.Data); i >= 0 {
						stack = stack[:i]
					}
				} else if tt == html.StartTagToken {
					stack = append(stack, t.Data)
				}
			}
		}
	}
}

func lastIndex(list []string, s string) int {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i] == s {
			return i
		}
	}
	return -1
}

// diffWords compares two texts word by word.
func diffWords(old, new string) []Word {
	a, b := strings.Fields(old), strings.Fields(new)
	var out []Word
	for _, e := range lcs(len(a), len(b), func(i, j int) bool { return a[i] == b[j] }) {
		switch e.op {
		case Same:
			out = append(out, Word{Same, b[e.j]})
		case Removed:
			out = append(out, Word{Removed, a[e.i]})
		case Added:
			out = append(out, Word{Added, b[e.j]})
		}
	}
	return out
}

// edit is one step of a longest common subsequence's script: the i-th
// element of the old sequence, the j-th of the new one, or both.
type edit struct {
	op   Op
	i, j int
}

// lcs returns the edit script from a sequence of n elements to one of m
// (eq compares the old i-th with the new j-th) through a longest common
// subsequence, removals before additions where they meet. The common
// prefix and suffix are taken first; a middle over maxDiffCells is all
// removed and added.
func lcs(n, m int, eq func(i, j int) bool) []edit {
	var out []edit
	pre := 0
	for pre < n && pre < m && eq(pre, pre) {
		out = append(out, edit{Same, pre, pre})
		pre++
	}
	suf := 0
	for suf < n-pre && suf < m-pre && eq(n-1-suf, m-1-suf) {
		suf++
	}
	rn, rm := n-pre-suf, m-pre-suf
	if rn*rm > maxDiffCells {
		for i := range rn {
			out = append(out, edit{Removed, pre + i, -1})
		}
		for j := range rm {
			out = append(out, edit{Added, -1, pre + j})
		}
	} else {
		// l[i][j]: the length of the longest common subsequence of the
		// middles from old i and new j on.
		w := rm + 1
		l := make([]int32, (rn+1)*w)
		for i := rn - 1; i >= 0; i-- {
			for j := rm - 1; j >= 0; j-- {
				switch {
				case eq(pre+i, pre+j):
					l[i*w+j] = l[(i+1)*w+j+1] + 1
				case l[(i+1)*w+j] >= l[i*w+j+1]:
					l[i*w+j] = l[(i+1)*w+j]
				default:
					l[i*w+j] = l[i*w+j+1]
				}
			}
		}
		i, j := 0, 0
		for i < rn || j < rm {
			switch {
			case i < rn && j < rm && eq(pre+i, pre+j):
				out = append(out, edit{Same, pre + i, pre + j})
				i++
				j++
			case j == rm || i < rn && l[(i+1)*w+j] >= l[i*w+j+1]:
				out = append(out, edit{Removed, pre + i, -1})
				i++
			default:
				out = append(out, edit{Added, -1, pre + j})
				j++
			}
		}
	}
	for k := suf; k > 0; k-- {
		out = append(out, edit{Same, n - k, m - k})
	}
	return out
}
