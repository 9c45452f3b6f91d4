package node_test

import (
	"bytes"
	"context"
	"html"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/feed"
	"github.com/twinfed/twinfed/node/notice"
)

// Wall posts between members of one node take the local path;
// cmd/twinfed/feed_test.go runs them across nodes over real HTTP.

// pngImage is a small real PNG.
func pngImage(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func feedPosts(t *testing.T, f *feed.Service, p *twinfed.Principal) []*feed.Post {
	t.Helper()
	page, err := f.Feed(context.Background(), p, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []*feed.Post
	for _, it := range page.Items {
		if it.Post != nil {
			out = append(out, it.Post)
		}
	}
	return out
}

func TestFeed_LocalPostsAndRules(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{})
	f, ctx := n.Feed(), context.Background()
	anna, annaURL := seedTeacher(t, n, "anna", "Anna")
	bruno, _ := seedTeacher(t, n, "bruno", "Bruno")
	carla, _ := seedTeacher(t, n, "carla", "Carla")
	if err := n.Social().FollowMember(ctx, bruno, annaURL); err != nil {
		t.Fatal(err)
	}

	// Bad input is refused with the field that was wrong, and changes nothing.
	for _, c := range []struct {
		name   string
		text   string
		images [][]byte
		field  string
	}{
		{"empty", "  \n ", nil, "text"},
		{"too long", strings.Repeat("é", twinfed.MaxPostRunes+1), nil, "text"},
		{"not an image", "look", [][]byte{[]byte("GIF89a but not really an image, just text")}, "images"},
		{"text as image", "look", [][]byte{[]byte("hello, I am a text file")}, "images"},
		{"too large", "look", [][]byte{append(pngImage(t), make([]byte, twinfed.MaxImageBytes)...)}, "images"},
		{"too many", "look", [][]byte{pngImage(t), pngImage(t), pngImage(t), pngImage(t), pngImage(t)}, "images"},
	} {
		_, err := f.Publish(ctx, anna, c.text, c.images)
		if code := twinfed.ErrorCode(err); (code != twinfed.EINVALID && code != twinfed.ETOOLARGE) || twinfed.ErrorFields(err)[c.field] == "" {
			t.Errorf("%s: %v (fields %v), want an error on %s", c.name, err, twinfed.ErrorFields(err), c.field)
		}
	}
	if got := feedPosts(t, f, anna); len(got) != 0 {
		t.Fatalf("refused posts were kept: %d", len(got))
	}

	// A post with an image reaches the author's and the follower's feeds,
	// not a stranger's.
	post, err := f.Publish(ctx, anna, "Our spring project!\n\nPhotos below.", [][]byte{pngImage(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(post.Images) != 1 || post.Images[0].MediaType != "image/png" || !strings.Contains(post.Content, "<p>Our spring project!</p>") {
		t.Fatalf("post: %+v", post)
	}
	for _, who := range []*twinfed.Principal{anna, bruno} {
		if got := feedPosts(t, f, who); len(got) != 1 || got[0].ID != post.ID {
			t.Fatalf("%s's feed: %+v", who.Username, got)
		}
	}
	if got := feedPosts(t, f, carla); len(got) != 0 {
		t.Fatalf("carla sees anna's post: %+v", got)
	}
	if _, _, err := f.Get(ctx, carla, post.ID); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("carla reads the post: %v", err)
	}
	if _, err := f.Reply(ctx, carla, post.ID, "hi"); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("carla replies: %v", err)
	}
	if page, _ := f.ByAuthor(ctx, carla, annaURL, "", 20); len(page.Items) != 0 {
		t.Fatalf("carla sees anna's activity")
	}
	data, ct, err := f.Media(ctx, strings.TrimPrefix(post.Images[0].URL, n.URL()+feed.MediaPath))
	if err != nil || ct != "image/png" || !bytes.Equal(data, pngImage(t)) {
		t.Fatalf("image: %s %v", ct, err)
	}

	// Replies and likes: counted once, told to the author.
	if _, err := f.Reply(ctx, bruno, post.ID, ""); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Fatalf("empty reply: %v", err)
	}
	if _, err := f.Reply(ctx, bruno, post.ID, "Lovely <b>work</b>"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := f.Like(ctx, bruno, post.ID); err != nil {
			t.Fatal(err)
		}
	}
	got, replies, err := f.Get(ctx, bruno, post.ID)
	if err != nil || got.Likes != 1 || got.Replies != 1 || len(replies) != 1 || !got.Liked || !strings.Contains(replies[0].Content, "&lt;b&gt;work&lt;/b&gt;") {
		t.Fatalf("post after reply and likes: %+v %+v %v", got, replies, err)
	}
	notes, _ := n.Social().Notifications(ctx, anna, 10)
	kinds := map[notice.Kind]int{}
	for _, x := range notes {
		kinds[x.Kind]++
	}
	if kinds[feed.KindPostReply] != 1 || kinds[feed.KindPostLike] != 1 {
		t.Fatalf("anna's notifications: %v", kinds)
	}

	// Only the author deletes; the post leaves every feed.
	if err := f.Remove(ctx, bruno, post.ID); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("bruno deletes anna's post: %v", err)
	}
	if err := f.Remove(ctx, anna, post.ID); err != nil {
		t.Fatal(err)
	}
	if got := feedPosts(t, f, bruno); len(got) != 0 {
		t.Fatalf("deleted post still in bruno's feed")
	}

	// Paging: newest first, each post once.
	for i := range 25 {
		if _, err := f.Publish(ctx, anna, "post "+string(rune('a'+i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	before, pages := "", 0
	var last time.Time
	for {
		page, err := f.Feed(ctx, bruno, before, 10)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, it := range page.Items {
			if seen[it.Post.ID] || (!last.IsZero() && it.Post.Published.After(last)) {
				t.Fatalf("page %d: %s repeated or out of order", pages, it.Post.ID)
			}
			seen[it.Post.ID], last = true, it.Post.Published
		}
		if before = page.Next; before == "" {
			break
		}
	}
	if len(seen) != 25 || pages != 3 {
		t.Fatalf("paging: %d posts over %d pages", len(seen), pages)
	}
}

// TestFeed_Inbound holds the inbound rules: a post from another node is
// kept once, its images must be on its author's node, only its author
// changes or deletes it.
func TestFeed_Inbound(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{})
	ctx := context.Background()
	anna, _ := seedTeacher(t, n, "anna", "Anna")
	remote := "https://fr.example/users/marie"

	// A like or a reply from someone who does not read anna's posts is refused.
	own, err := n.Feed().Publish(ctx, anna, "Solo per i miei contatti", nil)
	if err != nil {
		t.Fatal(err)
	}
	like := &twinfed.Activity{ID: "https://fr.example/activities/l1", Type: twinfed.ActivityLike, Actor: remote, To: []string{n.URL() + "/users/anna"}, Object: own.ID, Published: time.Now()}
	if err := n.Service().HandleActivity(ctx, like); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("like by a stranger: %v", err)
	}
	reply := &twinfed.Activity{ID: "https://fr.example/activities/r1", Type: twinfed.ActivityCreate, Actor: remote, To: like.To, Object: "https://fr.example/posts/r1",
		Note: &twinfed.Note{ID: "https://fr.example/posts/r1", From: remote, To: own.Author, InReplyTo: own.ID, Content: "ciao", Published: time.Now()}, Published: time.Now()}
	if err := n.Service().HandleActivity(ctx, reply); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("reply by a stranger: %v", err)
	}
	if got, _, _ := n.Feed().Get(ctx, anna, own.ID); got.Likes != 0 || got.Replies != 0 {
		t.Fatalf("refused like or reply counted: %+v", got)
	}

	note := &twinfed.Note{ID: "https://fr.example/posts/1", From: remote, To: twinfed.FollowersURL(remote), Content: "<p>Bonjour <script>x</script></p>", Published: time.Now().UTC(),
		Images: []twinfed.PostImage{{URL: "https://fr.example/media/abc", MediaType: "image/png"}}}
	create := &twinfed.Activity{ID: "https://fr.example/activities/1", Type: twinfed.ActivityCreate, Actor: remote, To: []string{n.URL() + "/users/anna"}, Object: note.ID, Note: note, Published: time.Now()}
	bad := *create
	badNote := *note
	badNote.Images = []twinfed.PostImage{{URL: "https://tracker.example/pixel.png", MediaType: "image/png"}}
	bad.ID, bad.Note = "https://fr.example/activities/0", &badNote
	if err := n.Service().HandleActivity(ctx, &bad); twinfed.ErrorCode(err) != twinfed.EINVALID {
		t.Fatalf("image elsewhere: %v", err)
	}
	for range 2 {
		if err := n.Service().HandleActivity(ctx, create); err != nil {
			t.Fatal(err)
		}
	}
	del := &twinfed.Activity{ID: "https://fr.example/activities/2", Type: twinfed.ActivityDelete, Actor: "https://fr.example/users/paul", To: create.To, Object: note.ID, Published: time.Now()}
	if err := n.Service().HandleActivity(ctx, del); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("delete by another: %v", err)
	}
	del.ID, del.Actor = "https://fr.example/activities/3", remote
	if err := n.Service().HandleActivity(ctx, del); err != nil {
		t.Fatal(err)
	}
}

// TestFeed_Web posts from the home page with an image and a non-image.
func TestFeed_Web(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{})
	seedTeacher(t, n, "anna", "Anna")
	b := login(t, n, "anna", "correct horse 1")
	if code, body := b.Get("/"); code != 200 || !strings.Contains(body, "Your feed") || !strings.Contains(body, `action="/posts"`) {
		t.Fatalf("home: %d\n%s", code, body)
	}
	// A project's news names the project, and its actor (the project's
	// Group) only where the sentence starts with someone.
	group := "http://fr.example/projects/3f2a9c"
	if err := n.Store().Update(func(txn *badger.Txn) error {
		return notice.New(n.Store(), nil).NotifyProject(txn, "anna", notice.ProjectApproved, group, &twinfed.Project{ID: "p-rivers", Title: "Rivers"})
	}); err != nil {
		t.Fatal(err)
	}
	if _, body := b.Get("/"); !strings.Contains(body, "The TwinSpace is open for the approved project") || !strings.Contains(body, ">Rivers</a>") || strings.Contains(body, "3f2a9c") {
		t.Fatalf("the project's news on the home feed:\n%s", body)
	}
	post := func(text string, file []byte) (int, string, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("csrf", b.CSRF())
		_ = mw.WriteField("text", text)
		if file != nil {
			fw, _ := mw.CreateFormFile("images", "photo.png")
			_, _ = fw.Write(file)
		}
		mw.Close()
		req, _ := http.NewRequest("POST", n.URL()+"/posts", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Accept-Language", "en")
		code, body, h := b.Do(req)
		return code, body, h.Get("Location")
	}
	if code, body, _ := post("look", []byte("%PDF-1.4 not an image")); code != http.StatusBadRequest || !strings.Contains(body, "This file is not an image") {
		t.Fatalf("non-image: %d\n%s", code, body)
	}
	if code, body, _ := post("", nil); code != http.StatusBadRequest || !strings.Contains(body, "Write something or add an image") {
		t.Fatalf("empty: %d\n%s", code, body)
	}
	if code, _, loc := post("Spring!", pngImage(t)); code != http.StatusSeeOther || loc != "/?done=wall_posted" {
		t.Fatalf("post: %d %s\n%s", code, loc, b.Last)
	}
	_, body := b.Get("/")
	i := strings.Index(body, `src="/media/`)
	if i < 0 || !strings.Contains(body, "Spring!") {
		t.Fatalf("feed without the post's image:\n%s", body)
	}
	src := body[i+5 : i+5+strings.IndexByte(body[i+5:], '"')]
	req, _ := http.NewRequest("GET", n.URL()+src, nil)
	if code, img, h := b.Do(req); code != 200 || h.Get("Content-Type") != "image/png" || img != string(pngImage(t)) {
		t.Fatalf("GET %s: %d %s", src, code, h.Get("Content-Type"))
	}
	if code, _ := b.Get(feed.ProxyPath + "?url=" + url.QueryEscape("http://tracker.example/x.png")); code != http.StatusNotFound {
		t.Fatalf("proxy of a host outside the federation: %d", code)
	}
	// Like, then unlike; reply, then delete the reply: from the post's page.
	pm := regexp.MustCompile(`/posts/view\?id=([^"#&]+)`).FindStringSubmatch(body)
	if pm == nil {
		t.Fatalf("no link to the post:\n%s", body)
	}
	postID, _ := url.QueryUnescape(pm[1])
	view := "/posts/view?id=" + url.QueryEscape(postID)
	if code, _, loc := b.Form(view, "/posts/like", url.Values{"id": {postID}, "next": {view}}); code != http.StatusSeeOther || !strings.Contains(loc, "done=liked") {
		t.Fatalf("like: %d %s", code, loc)
	}
	if _, body := b.Get(view); !strings.Contains(body, "1 like") || !strings.Contains(body, `action="/posts/unlike"`) || !strings.Contains(body, ">Unlike<") {
		t.Fatalf("the liked post's page:\n%s", body)
	}
	if code, _, loc := b.Post("/posts/unlike", url.Values{"id": {postID}, "next": {view}}); code != http.StatusSeeOther || !strings.Contains(loc, "done=unliked") {
		t.Fatalf("unlike: %d %s", code, loc)
	}
	if _, body := b.Get(view + "&done=unliked"); !strings.Contains(body, "0 likes") || strings.Contains(body, `action="/posts/unlike"`) || !strings.Contains(body, "You no longer like this post.") {
		t.Fatalf("the unliked post's page:\n%s", body)
	}
	if code, _, _ := b.Post("/posts/reply", url.Values{"id": {postID}, "text": {"Me too"}}); code != http.StatusSeeOther {
		t.Fatalf("reply: %d\n%s", code, b.Last)
	}
	_, body = b.Get(view)
	m := regexp.MustCompile(`name="reply" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "Delete my reply") || !strings.Contains(body, "1 reply") {
		t.Fatalf("the reply's delete button:\n%s", body)
	}
	if code, _, _ := b.Post("/posts/reply/delete", url.Values{"id": {postID}, "reply": {"https://nowhere.example/posts/x"}}); code != http.StatusNotFound {
		t.Fatalf("deleting an unknown reply: %d", code)
	}
	if code, _, loc := b.Post("/posts/reply/delete", url.Values{"id": {postID}, "reply": {html.UnescapeString(m[1])}}); code != http.StatusSeeOther || !strings.Contains(loc, "done=reply_deleted") {
		t.Fatalf("delete reply: %d %s\n%s", code, loc, b.Last)
	}
	if _, body := b.Get(view); strings.Contains(body, "Me too") || !strings.Contains(body, "0 replies") {
		t.Fatalf("the reply is still shown:\n%s", body)
	}

	seedTeacher(t, n, "bruno", "Bruno") // never logged in: no last login
	if code, body := b.Get("/people/activity?id=" + url.QueryEscape(n.URL()+"/users/bruno")); code != 200 || strings.Contains(body, "Last login") || !strings.Contains(body, "0 followers") {
		t.Fatalf("bruno's tab: %d\n%s", code, body)
	}
	if code, body := b.Get("/people/activity?id=" + url.QueryEscape(n.URL()+"/users/anna")); code != 200 || !strings.Contains(body, "Spring!") || !strings.Contains(body, "Last login:") {
		t.Fatalf("activity tab: %d\n%s", code, body)
	}
	if code, body := b.Get("/people/activity?tab=photos&id=" + url.QueryEscape(n.URL()+"/users/anna")); code != 200 || !strings.Contains(body, `src="/media/`) {
		t.Fatalf("photos tab: %d\n%s", code, body)
	}

	// Schools: without a registry the search finds none and a page is not found.
	if code, body := b.Get("/people/schools?q=Galilei"); code != 200 || !strings.Contains(body, "No school matches.") {
		t.Fatalf("school search: %d\n%s", code, body)
	}
	if code, body := b.Get("/schools/view?id=it-nope"); code != 404 || !strings.Contains(body, "There is no such school.") {
		t.Fatalf("unknown school: %d\n%s", code, body)
	}
	if code, body := b.Get("/people/schools?q=" + strings.Repeat("x", 201)); code != 400 || !strings.Contains(body, "Search for at most 200 characters.") {
		t.Fatalf("too long a school search: %d", code)
	}

	// Agency staff's home is their queues, not a teacher's feed.
	seedStaff(t, n, "officer", twinfed.RoleAgencyOfficer)
	o := login(t, n, "officer", "staff password 1")
	req, _ = http.NewRequest("GET", n.URL()+"/", nil)
	if code, _, h := o.Do(req); code != http.StatusSeeOther || h.Get("Location") != "/backoffice" {
		t.Fatalf("the officer's home: %d %s", code, h.Get("Location"))
	}
}

// TestFeed_UnlikeReplyDeleteAndInteractions: another node's reader's
// unlike (Undo, the post as target) and reply's deletion (Delete, the post
// as target) apply once and only from who may; the replies and likes this
// node serves for the backfill are paged, oldest change first, and only to
// a node where the author has a reader.
func TestFeed_UnlikeReplyDeleteAndInteractions(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{outbox: &recordingOutbox{}})
	ctx := context.Background()
	anna, _ := seedTeacher(t, n, "anna", "Anna")
	annaURL := n.URL() + "/users/anna"
	marie := "https://fr.example/users/marie"
	apply := func(a *twinfed.Activity) error { a.Published = time.Now(); return n.Service().HandleActivity(ctx, a) }
	if err := apply(&twinfed.Activity{ID: "https://fr.example/activities/f1", Type: twinfed.ActivityFollow, Actor: marie, To: []string{annaURL}, Object: annaURL}); err != nil {
		t.Fatal(err)
	}
	var posts []*feed.Post
	for _, text := range []string{"uno", "due", "tre"} {
		p, err := n.Feed().Publish(ctx, anna, text, nil)
		if err != nil {
			t.Fatal(err)
		}
		posts = append(posts, p)
	}
	first := posts[0].ID
	if err := apply(&twinfed.Activity{ID: "https://fr.example/activities/l1", Type: twinfed.ActivityLike, Actor: marie, To: []string{annaURL}, Object: first}); err != nil {
		t.Fatal(err)
	}
	replyID := "https://fr.example/posts/r1"
	if err := apply(&twinfed.Activity{ID: "https://fr.example/activities/r1", Type: twinfed.ActivityCreate, Actor: marie, To: []string{annaURL}, Object: replyID,
		Note: &twinfed.Note{ID: replyID, From: marie, To: annaURL, InReplyTo: first, Content: "ciao", Published: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	page, err := n.Feed().LocalInteractions(ctx, "fr.example", time.Time{}, "", 10)
	if err != nil || len(page.Items) != 1 || page.Items[0].Post != first || page.Items[0].Likes != 1 || len(page.Items[0].Replies) != 1 ||
		len(page.Items[0].LikedThere) != 1 || page.Items[0].LikedThere[0] != marie {
		t.Fatalf("interactions served to fr.example: %+v %v", page, err)
	}
	if page, _ := n.Feed().LocalInteractions(ctx, "es.example", time.Time{}, "", 10); len(page.Items) != 0 {
		t.Fatalf("interactions served to a node without readers: %+v", page.Items)
	}

	// Only the liker's Undo removes their like; only the reply's author
	// (or the post's) deletes it; replays change nothing.
	if err := apply(&twinfed.Activity{ID: "https://es.example/activities/u0", Type: twinfed.ActivityUndo, Actor: "https://es.example/users/pablo", To: []string{annaURL},
		Object: "https://fr.example/activities/l1", Target: first}); err != nil {
		t.Fatal(err)
	}
	delByOther := &twinfed.Activity{ID: "https://es.example/activities/d0", Type: twinfed.ActivityDelete, Actor: "https://es.example/users/pablo", To: []string{annaURL}, Object: replyID, Target: first}
	if err := apply(delByOther); twinfed.ErrorCode(err) != twinfed.EFORBIDDEN {
		t.Fatalf("a reply deleted by another: %v", err)
	}
	if got, replies, _ := n.Feed().Get(ctx, anna, first); got.Likes != 1 || got.Replies != 1 || len(replies) != 1 {
		t.Fatalf("after others' unlike and deletion: %+v", got)
	}
	undo := &twinfed.Activity{ID: "https://fr.example/activities/u1", Type: twinfed.ActivityUndo, Actor: marie, To: []string{annaURL}, Object: "https://fr.example/activities/l1", Target: first}
	del := &twinfed.Activity{ID: "https://fr.example/activities/d1", Type: twinfed.ActivityDelete, Actor: marie, To: []string{annaURL}, Object: replyID, Target: first}
	for range 2 {
		if err := apply(undo); err != nil {
			t.Fatal(err)
		}
		if err := apply(del); err != nil {
			t.Fatal(err)
		}
	}
	if got, replies, _ := n.Feed().Get(ctx, anna, first); got.Likes != 0 || got.Replies != 0 || len(replies) != 0 {
		t.Fatalf("after marie's unlike and deletion: %+v %d replies", got, len(replies))
	}

	// Paged, oldest change first: anna likes her third post, then her second.
	for _, p := range []*feed.Post{posts[2], posts[1]} {
		if err := n.Feed().Like(ctx, anna, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	after := ""
	for range 5 {
		page, err := n.Feed().LocalInteractions(ctx, "fr.example", time.Time{}, after, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			got = append(got, it.Post)
		}
		if after = page.Next; after == "" {
			break
		}
	}
	if want := []string{first, posts[2].ID, posts[1].ID}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("pages: %v, want %v", got, want)
	}
}

// TestFeed_ForumPosts: the partner forum's new posts matching the
// member's profile (anna: music, pupils of 10, Italy) show in the feed
// with a link; others, and the member's own, do not.
func TestFeed_ForumPosts(t *testing.T) {
	n := MustOpenNode(t, nodeOpts{})
	ctx := context.Background()
	seedTeacher(t, n, "anna", "Anna")
	bruno, _ := seedTeacher(t, n, "bruno", "Bruno")
	anna := &twinfed.Principal{Username: "anna", Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	post := func(title string, subjects, bands, seeking []string) *twinfed.ForumPost {
		p, err := n.Forum().Post(ctx, bruno, &twinfed.ForumPost{Thread: "age_12_15", Title: title, Subjects: subjects, AgeBands: bands,
			Languages: []string{"en"}, Seeking: seeking, Months: 6, Idea: "An idea for a project."})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	bySubject := post("Songs of our towns", []string{"music"}, []string{"age_16_19"}, []string{"FR"})
	bySeeking := post("Rivers of Europe", []string{"geography"}, []string{"age_16_19"}, []string{"IT"})
	other := post("Robots in the lab", []string{"computing"}, []string{"age_16_19"}, []string{"FR"})
	byBand := post("Tales for the young", []string{"art"}, []string{"age_6_11"}, nil)

	page, err := n.Feed().Feed(ctx, anna, "", 20)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range page.Items {
		if it.Forum != nil {
			got = append(got, it.Forum.ID)
		}
	}
	if want := []string{byBand.ID, bySeeking.ID, bySubject.ID}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("anna's feed shows forum posts %v, want %v (newest first; not %s)", got, want, other.ID)
	}
	page, _ = n.Feed().Feed(ctx, bruno, "", 20)
	for _, it := range page.Items {
		if it.Forum != nil {
			t.Fatalf("bruno's feed shows his own forum post %s", it.Forum.ID)
		}
	}

	b := login(t, n, "anna", "correct horse 1")
	_, body := b.Get("/")
	for _, p := range []*twinfed.ForumPost{bySubject, bySeeking, byBand} {
		link := strings.ToLower(`href="/forum/post?id=` + url.QueryEscape(p.ID) + `"`) // the template escapes in lower case
		if !strings.Contains(strings.ToLower(body), link) || !strings.Contains(body, p.Title) {
			t.Fatalf("the home page has no link to %q:\n%s", p.Title, body)
		}
	}
	if strings.Contains(body, other.Title) || !strings.Contains(body, "Partner forum post") {
		t.Fatalf("the home page shows the post that does not match, or lacks the forum's label:\n%s", body)
	}
}
