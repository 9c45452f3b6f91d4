package chat

import "testing"

func TestTextHTML(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Hello <b>all</b> & you", "Hello &lt;b&gt;all&lt;/b&gt; &amp; you"},
		{"line one\r\nline two\nthree", "line one<br>line two<br>three"},
		{"See https://example.org/a?b=1&c=2.", `See <a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener noreferrer ugc" target="_blank">https://example.org/a?b=1&amp;c=2</a>.`},
		{"(http://x.eu/p)", `(<a href="http://x.eu/p" rel="nofollow noopener noreferrer ugc" target="_blank">http://x.eu/p</a>)`},
		{`javascript:alert(1) and http://a.b/"onmouseover=x`, `javascript:alert(1) and <a href="http://a.b/" rel="nofollow noopener noreferrer ugc" target="_blank">http://a.b/</a>&#34;onmouseover=x`},
		{"just https:// nothing", "just https:// nothing"},
	} {
		if got := string(TextHTML(c.in)); got != c.want {
			t.Errorf("TextHTML(%q)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}
