package blob_test

import (
	"archive/zip"
	"bytes"
	"image/color"
	"io"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/blob"
)

// TestSniff_Accepted: a real small file of every accepted format is
// typed by its content, under its usual name and under no name.
func TestSniff_Accepted(t *testing.T) {
	img := testImage(8, 4)
	for _, tc := range []struct {
		name    string
		content []byte
		file    string
		class   blob.Class
		label   string
	}{
		{"jpeg", jpegOf(t, img), "photo.jpg", blob.ClassImage, "JPEG"},
		{"png", pngOf(t, img), "drawing.png", blob.ClassImage, "PNG"},
		{"gif", gifOf(t, img), "anim.gif", blob.ClassImage, "GIF"},
		{"webp", webpOf(3, 2, color.RGBA{10, 200, 30, 255}), "leaf.webp", blob.ClassImage, "WebP"},
		{"mp4", mp4Of("isom"), "trip.mp4", blob.ClassVideo, "MP4"},
		{"webm", webmOf(), "clip.webm", blob.ClassVideo, "WebM"},
		{"ogg video", oggOf("\x80theora"), "clip.ogv", blob.ClassVideo, "Ogg"},
		{"mp3", mp3Of(), "song.mp3", blob.ClassAudio, "MP3"},
		{"ogg audio", oggOf("\x01vorbis"), "song.ogg", blob.ClassAudio, "Ogg"},
		{"wav", wavOf(), "voice.wav", blob.ClassAudio, "WAV"},
		{"m4a", mp4Of("M4A "), "voice.m4a", blob.ClassAudio, "M4A"},
		{"pdf", pdfOf(), "report.pdf", blob.ClassPDF, "PDF"},
		{"docx", ooxmlOf(t, "word/"), "essay.docx", blob.ClassDocument, "DOCX"},
		{"xlsx", ooxmlOf(t, "xl/"), "marks.xlsx", blob.ClassDocument, "XLSX"},
		{"pptx", ooxmlOf(t, "ppt/"), "slides.pptx", blob.ClassDocument, "PPTX"},
		{"odt", odfOf(t, "application/vnd.oasis.opendocument.text"), "essay.odt", blob.ClassDocument, "ODT"},
		{"ods", odfOf(t, "application/vnd.oasis.opendocument.spreadsheet"), "marks.ods", blob.ClassDocument, "ODS"},
		{"odp", odfOf(t, "application/vnd.oasis.opendocument.presentation"), "slides.odp", blob.ClassDocument, "ODP"},
		{"doc", oleOf(), "old.doc", blob.ClassDocument, "DOC"},
		{"xls", oleOf(), "old.xls", blob.ClassDocument, "XLS"},
		{"ppt", oleOf(), "old.ppt", blob.ClassDocument, "PPT"},
		{"text", []byte("Ciao a tutti!\nNotes for Monday.\n"), "notes.txt", blob.ClassText, "TXT"},
		{"latin-1 text", []byte("Caf\xe9 cr\xe8me\n"), "menu.txt", blob.ClassText, "TXT"},
		{"csv", []byte("name,country,age\nAda,IT,12\nLuc,FR,13\nEva,ES,12\n"), "pupils.csv", blob.ClassText, "CSV"},
		{"one-column csv", []byte("name\nAda\nLuc\n"), "names.csv", blob.ClassText, "CSV"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			typ, err := blob.Sniff(tc.content, tc.file)
			if err != nil {
				t.Fatalf("Sniff(%s): %v", tc.file, err)
			}
			if typ.Class != tc.class || typ.Label != tc.label {
				t.Fatalf("Sniff(%s) = %+v, want class %s, label %s", tc.file, typ, tc.class, tc.label)
			}
			if back, ok := blob.TypeOf(typ.MIME); !ok || back != typ {
				t.Errorf("TypeOf(%q) = %+v, %v; want %+v", typ.MIME, back, ok, typ)
			}
			if tc.name == "doc" || tc.name == "xls" || tc.name == "ppt" {
				return // legacy Office is told apart by its name only
			}
			// Under a name that says nothing, the content alone decides.
			noExt, err := blob.Sniff(tc.content, "upload")
			if err != nil || noExt.Class != tc.class {
				t.Errorf("Sniff(no extension) = %+v, %v; want class %s", noExt, err, tc.class)
			}
		})
	}
}

// TestSniff_OOXMLPastDetection: a document whose first part is large
// (its word/ part beyond the first 4 KiB detection reads) is a DOCX all
// the same.
func TestSniff_OOXMLPastDetection(t *testing.T) {
	big := contentTypes + "<!--" + strings.Repeat("Default Extension ", 600) + "-->"
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range []struct{ name, body string }{{"[Content_Types].xml", big}, {"word/document.xml", "<document/>"}} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	zw.Close()
	if strings.Index(b.String(), "word/") < 4096 {
		t.Fatal("the test document is too small")
	}
	typ, err := blob.Sniff(b.Bytes(), "essay.docx")
	if err != nil || typ.Label != "DOCX" {
		t.Fatalf("Sniff = %+v, %v; want DOCX", typ, err)
	}
}

// TestSniff_Refused: programs, markup with scripts, archives and the
// unrecognised are refused with a message naming what the content is.
func TestSniff_Refused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		content []byte
		file    string
		want    string // in the message
	}{
		{"windows program", exeOf(), "setup.exe", "is not accepted: its content is EXE"},
		{"linux program", elfOf(), "tool", "its content is ELF"},
		{"html", []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"), "page.html", "HTML"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "logo.svg", "SVG"},
		{"zip", zipOf(t, "a.txt", "hello"), "photos.zip", "ZIP"},
		{"jar", zipOf(t, "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"), "game.jar", "JAR"},
		{"shell script", []byte("#!/bin/sh\nrm -rf ~\n"), "run.sh", "SH"},
		{"unrecognised", []byte{0x00, 0x01, 0x02, 0x03, 0xfe, 0x00, 0x99}, "data.bin", "could not be recognised"},
		{"empty", nil, "nothing.txt", "is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			typ, err := blob.Sniff(tc.content, tc.file)
			if err == nil {
				t.Fatalf("Sniff(%s) = %+v, want a refusal", tc.file, typ)
			}
			if twinfed.ErrorCode(err) != twinfed.EINVALID || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.file) {
				t.Fatalf("Sniff(%s): %v; want EINVALID naming the file and %q", tc.file, err, tc.want)
			}
		})
	}
}

// TestSniff_NameContradictsContent: a content its name's extension
// contradicts is refused, the message saying both; formats of one family
// and names without a known extension are no contradiction.
func TestSniff_NameContradictsContent(t *testing.T) {
	img := testImage(4, 4)
	for _, tc := range []struct {
		content       []byte
		file          string
		claim, actual string
	}{
		{pdfOf(), "photo.jpg", "JPG", "PDF"},
		{exeOf(), "report.pdf", "PDF", "EXE"},
		{pdfOf(), "invoice.pdf.exe", "EXE", "PDF"},
		{jpegOf(t, img), "song.mp3", "MP3", "JPEG"},
		{[]byte("<html><body onload=alert(1)>hi</body></html>"), "notes.txt", "TXT", "HTML"},
		{zipOf(t, "a.txt", "hello"), "essay.docx", "DOCX", "ZIP"},
		{ooxmlOf(t, "word/"), "marks.xlsx", "XLSX", "DOCX"},
		{oleOf(), "scan.pdf", "PDF", "OLE"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			typ, err := blob.Sniff(tc.content, tc.file)
			if err == nil {
				t.Fatalf("Sniff(%s) = %+v, want a refusal", tc.file, typ)
			}
			want := "is named as " + tc.claim + " but its content is " + tc.actual
			if twinfed.ErrorCode(err) != twinfed.EINVALID || !strings.Contains(err.Error(), want) {
				t.Fatalf("Sniff(%s): %v; want EINVALID with %q", tc.file, err, want)
			}
		})
	}
	for _, tc := range []struct {
		content []byte
		file    string
		label   string
	}{
		{pngOf(t, img), "photo.jpg", "PNG"}, // an image all the same
		{jpegOf(t, img), "PHOTO.JPEG", "JPEG"},
		{pdfOf(), "minutes.v2", "PDF"},            // ".v2" claims nothing
		{pdfOf(), `C:\Users\ada\scan.pdf`, "PDF"}, // an old browser's full path
		{oggOf("\x80theora"), "clip.ogg", "Ogg"},
		{[]byte("a;b\n1;2\n"), "list.csv", "CSV"},
	} {
		typ, err := blob.Sniff(tc.content, tc.file)
		if err != nil || typ.Label != tc.label {
			t.Errorf("Sniff(%s) = %+v, %v; want %s", tc.file, typ, err, tc.label)
		}
	}
}

// TestHead: the head Sniff reads, and the whole content after it, from
// one reader.
func TestHead(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789"), blob.SniffLen/5)
	head, all, err := blob.Head(bytes.NewReader(content))
	if err != nil || len(head) != blob.SniffLen || !bytes.Equal(head, content[:blob.SniffLen]) {
		t.Fatalf("Head: %d bytes, %v", len(head), err)
	}
	if got, _ := io.ReadAll(all); !bytes.Equal(got, content) {
		t.Fatalf("the whole content: %d bytes of %d", len(got), len(content))
	}
	head, all, err = blob.Head(strings.NewReader("short"))
	if got, _ := io.ReadAll(all); err != nil || string(head) != "short" || string(got) != "short" {
		t.Fatalf("Head of a short content: %q, %q, %v", head, got, err)
	}
}
