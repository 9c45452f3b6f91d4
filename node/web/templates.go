package web

import (
	"html/template"
	"strconv"
	"strings"

	"github.com/twinfed/twinfed"
)

// templateFuncs are the helpers every template may call.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"join":        strings.Join,
		"endonym":     Endonym,
		"dir":         twinfed.TextDirection,
		"peerName":    DisplayName,
		"inc":         func(i int) int { return i + 1 },
		"profileLink": ProfileLink,
		"photo":       PhotoSrc,
		"machine":     Machine,
		"html":        func(s string) template.HTML { return template.HTML(s) }, // only for text sanitised by bluemonday on input
		"ages":        formatAges,
		"has":         contains,
		"list":        func(v ...string) []string { return v },
		"seq": func(a, b int) []int {
			out := make([]int, 0, b-a+1)
			for i := a; i <= b; i++ {
				out = append(out, i)
			}
			return out
		},
		"field": func(p *Page, name, typ, label, auto string) fieldData {
			return fieldData{Name: name, Type: typ, Label: p.T(label), Auto: auto, Value: p.V(name), Err: p.Err(name), p: p}
		},
		"hint": func(f fieldData, id string) fieldData { f.Hint = f.p.T(id); return f },
	}
}

// fieldData is what the "input" template renders: a labelled input with
// its hint and error.
type fieldData struct {
	Name, Type, Label, Auto, Value, Err, Hint string
	Required                                  bool
	p                                         *Page
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func formatAges(a []int) string {
	if len(a) == 0 {
		return ""
	}
	lo, hi := a[0], a[len(a)-1]
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return strconv.Itoa(lo) + "–" + strconv.Itoa(hi)
}
