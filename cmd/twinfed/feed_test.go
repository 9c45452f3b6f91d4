package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus/consensustest"
	"github.com/twinfed/twinfed/node/account"
	"github.com/twinfed/twinfed/node/feed"
)

// testPNG is a small real PNG.
func testPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(2, 1, color.RGBA{20, 120, 200, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// publish posts text and an image on the member's wall through the JSON
// API (multipart).
func (s *memberSession) publish(text string, img []byte) (int, string) {
	s.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("text", text)
	if img != nil {
		fw, _ := mw.CreateFormFile("images", "spring.png")
		_, _ = fw.Write(img)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", s.base+"/api/v1/posts", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", s.csrf)
	s.jar.add(req)
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// get fetches a path raw: status, content type, body.
func (s *memberSession) get(path string) (int, string, []byte) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.base+path, nil)
	s.jar.add(req)
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// feedPostIDs lists the posts of a member's feed (JSON API).
func (s *memberSession) feedPosts() []map[string]any {
	code, out := s.call("GET", "/api/v1/feed", nil)
	if code != 200 {
		s.t.Fatalf("feed: %d %v", code, out)
	}
	var posts []map[string]any
	for _, it := range list(out, "items") {
		if p, ok := it.(map[string]any)["post"].(map[string]any); ok {
			posts = append(posts, p)
		}
	}
	return posts
}

// TestFederation_WallPostReachesFollowerOnAnotherNode: an IT teacher's
// wall post with an image reaches the feed of her follower on the FR node
// (real registry, real nodes, real signed HTTP); its image shows on FR
// through FR's proxy; the follower's reply and like reach the author's
// node and are told to her; a bad post is refused; the deletion reaches FR.
func TestFederation_WallPostReachesFollowerOnAnotherNode(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 3)
	it, fr := startFedNode(t, cluster, "IT"), startFedNode(t, cluster, "FR")
	it.knows(t, fr)
	fr.knows(t, it)
	maria := it.seedTeacher(t, "maria", "Maria", "Rossi", []string{"mathematics"}, []int{9, 10})
	fr.seedTeacher(t, "jean", "Jean", "Dupont", []string{"music"}, []int{10, 11})
	ms, js := it.login(t, "maria"), fr.login(t, "jean")

	// Jean follows Maria; IT accepts at once.
	if code, out := js.call("POST", "/api/v1/follows", map[string]string{"peer": maria}); code != 200 {
		t.Fatalf("follow: %d %v", code, out)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		code, out := ms.call("GET", "/api/v1/people/posts?id="+url.QueryEscape(maria), nil)
		c, _ := out["counts"].(map[string]any)
		return code == 200 && c["followers"] == float64(1)
	}, "IT never recorded Jean as Maria's follower")

	// Bad input changes nothing.
	if code, body := ms.publish("", nil); code != 400 || !strings.Contains(body, "Write something") {
		t.Fatalf("empty post: %d %s", code, body)
	}
	if code, body := ms.publish("look", []byte("not an image at all")); code != 400 || !strings.Contains(body, "not an image") {
		t.Fatalf("non-image: %d %s", code, body)
	}

	img := testPNG(t)
	code, body := ms.publish("Primavera a scuola", img)
	if code != 201 {
		t.Fatalf("publish: %d %s", code, body)
	}
	var post map[string]any
	consensustest.Eventually(t, 60*time.Second, func() bool {
		ps := js.feedPosts()
		if len(ps) == 1 {
			post = ps[0]
		}
		return len(ps) == 1
	}, "the post never reached Jean's feed on FR")
	if post["author"] != maria || !strings.Contains(post["content"].(string), "Primavera a scuola") {
		t.Fatalf("post on FR: %v", post)
	}
	imgURL := post["images"].([]any)[0].(map[string]any)["url"].(string)
	if !strings.HasPrefix(imgURL, it.base+feed.MediaPath) {
		t.Fatalf("the image is not on the author's node: %s", imgURL)
	}
	// The FR page shows the image through FR itself, and FR serves it.
	html := js.page("/")
	src := feed.ProxyPath + "?url=" + url.QueryEscape(imgURL)
	if !strings.Contains(html, strings.ReplaceAll(src, "&", "&amp;")) && !strings.Contains(html, src) {
		t.Fatalf("Jean's home page does not show the image through FR:\n%s", html)
	}
	if code, ct, got := js.get(src); code != 200 || ct != "image/png" || !bytes.Equal(got, img) {
		t.Fatalf("FR's proxy: %d %s", code, ct)
	}

	// Jean replies and likes; Maria's node keeps them and tells her.
	id := post["id"].(string)
	if code, out := js.call("POST", "/api/v1/posts/reply", map[string]string{"id": id, "text": "Bellissimo !"}); code != 200 {
		t.Fatalf("reply: %d %v", code, out)
	}
	if code, out := js.call("POST", "/api/v1/posts/like", map[string]string{"id": id}); code != 200 {
		t.Fatalf("like: %d %v", code, out)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		code, out := ms.call("GET", "/api/v1/posts/view?id="+url.QueryEscape(id), nil)
		p, _ := out["post"].(map[string]any)
		return code == 200 && p["likes"] == float64(1) && len(list(out, "replies")) == 1
	}, "the reply and the like never reached IT")
	code, out := ms.call("GET", "/api/v1/notifications", nil)
	kinds := map[string]bool{}
	for _, n := range list(out, "notifications") {
		kinds[n.(map[string]any)["kind"].(string)] = true
	}
	if code != 200 || !kinds[string(feed.KindPostReply)] || !kinds[string(feed.KindPostLike)] {
		t.Fatalf("Maria's notifications: %d %v", code, out)
	}

	// Jean takes his like back (Undo{Like}) and deletes his reply
	// (Delete, the post as target): both reach IT; Maria may not delete
	// Jean's reply.
	_, out = js.call("GET", "/api/v1/posts/view?id="+url.QueryEscape(id), nil)
	replies := list(out, "replies")
	if len(replies) != 1 {
		t.Fatalf("Jean's replies on FR: %v", out)
	}
	replyID := replies[0].(map[string]any)["id"].(string)
	if code, out := ms.call("POST", "/api/v1/posts/reply/delete", map[string]string{"id": id, "reply": replyID}); code != 403 {
		t.Fatalf("Maria deletes Jean's reply: %d %v", code, out)
	}
	if code, out := js.call("POST", "/api/v1/posts/unlike", map[string]string{"id": id}); code != 200 {
		t.Fatalf("unlike: %d %v", code, out)
	}
	if code, out := js.call("POST", "/api/v1/posts/reply/delete", map[string]string{"id": id, "reply": replyID}); code != 200 {
		t.Fatalf("delete reply: %d %v", code, out)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		code, out := ms.call("GET", "/api/v1/posts/view?id="+url.QueryEscape(id), nil)
		p, _ := out["post"].(map[string]any)
		return code == 200 && p["likes"] == float64(0) && p["replies"] == float64(0) && len(list(out, "replies")) == 0
	}, "the unlike and the reply's deletion never reached IT")

	// The deletion reaches FR.
	if code, out := ms.call("POST", "/api/v1/posts/delete", map[string]string{"id": id}); code != 200 {
		t.Fatalf("delete: %d %v", code, out)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool { return len(js.feedPosts()) == 0 }, "the deletion never reached FR")

	// Schools in "people and schools": a school of the registry, its page
	// with its members on the node, and the node's new members.
	sc, err := it.client.PutSchool(context.Background(), &twinfed.School{Country: "IT", LegalName: "Istituto Comprensivo Galilei", City: "Firenze", Region: "Toscana",
		Level: twinfed.LevelPrimary, Institution: twinfed.InstitutionState})
	if err != nil {
		t.Fatal(err)
	}
	// As registration's step 1 records it: the registry's id and name.
	if _, err := it.Node().Accounts().SeedMember(context.Background(), account.PreRegistration{FirstName: "Lucia", LastName: "Galli", Email: "lucia@school.example",
		EmailConfirm: "lucia@school.example", Username: "lucia", Password: "correct horse 1", PasswordConfirm: "correct horse 1"},
		&twinfed.Member{Schools: []twinfed.MemberSchool{{SchoolID: sc.ID, Name: sc.Name(), Region: sc.Region, Level: sc.Level, Role: "teacher"}},
			Subjects: []string{"art"}, PupilAges: []int{8}, Languages: []string{"it"}, Public: twinfed.PublicFields}); err != nil {
		t.Fatal(err)
	}
	consensustest.Eventually(t, 60*time.Second, func() bool {
		return strings.Contains(ms.page("/people/schools?q=Galilei"), "/schools/view?id="+sc.ID)
	}, "the school search never found the school")
	consensustest.Eventually(t, 60*time.Second, func() bool {
		return strings.Contains(ms.page("/schools/view?id="+url.QueryEscape(sc.ID)), "Lucia Galli")
	}, "the school page never listed its member")
	if html := ms.page("/people/new"); !strings.Contains(html, "Lucia Galli") || !strings.Contains(html, "Maria Rossi") || strings.Contains(html, "Jean Dupont") {
		t.Fatalf("the new members of IT:\n%s", html)
	}
}
