package blob

import (
	"bytes"
	"encoding/binary"
	"io"
	"path"
	"strings"

	"github.com/gabriel-vasile/mimetype"
	"github.com/twinfed/twinfed"
)

// Class is the kind of a file a TwinSpace accepts.
type Class string

// The classes of accepted files.
const (
	ClassImage    Class = "image"
	ClassVideo    Class = "video"
	ClassAudio    Class = "audio"
	ClassPDF      Class = "pdf"
	ClassDocument Class = "document" // office documents: OOXML, OpenDocument, legacy OLE
	ClassText     Class = "text"     // plain text and CSV
)

// Type is the type of an accepted file, found by its content.
type Type struct {
	MIME  string // the media type to serve it with, without parameters
	Class Class
	Label string // the format's name, the same in every language: "PNG", "DOCX"
	Ext   string // its usual extension, with the dot: ".png"
}

// SniffLen is how much of the start of a file Sniff needs.
const SniffLen = 64 << 10

// format is one accepted format: the types content detection may report
// for it, the extensions its name may have, and its family (formats of one
// family may carry each other's extensions: an image's name may say JPEG
// while it is a PNG; a name saying PDF on a JPEG contradicts it).
type format struct {
	t      Type
	family string
	mimes  []string // as mimetype reports them
	exts   []string
	// generic: content detection cannot tell this format from others of
	// its family (a text file, an OLE compound file, an Ogg stream), so
	// the name's extension, when it names one of them, chooses.
	generic bool
}

// formats are the accepted formats (docs: node/blob/doc.go).
var formats = []format{
	{t: Type{"image/jpeg", ClassImage, "JPEG", ".jpg"}, family: "image", mimes: []string{"image/jpeg"}, exts: []string{".jpg", ".jpeg", ".jpe", ".jfif"}},
	{t: Type{"image/png", ClassImage, "PNG", ".png"}, family: "image", mimes: []string{"image/png", "image/apng"}, exts: []string{".png", ".apng"}},
	{t: Type{"image/gif", ClassImage, "GIF", ".gif"}, family: "image", mimes: []string{"image/gif"}, exts: []string{".gif"}},
	{t: Type{"image/webp", ClassImage, "WebP", ".webp"}, family: "image", mimes: []string{"image/webp"}, exts: []string{".webp"}},
	{t: Type{"video/mp4", ClassVideo, "MP4", ".mp4"}, family: "mp4", mimes: []string{"video/mp4", "video/x-m4v"}, exts: []string{".mp4", ".m4v"}},
	{t: Type{"audio/mp4", ClassAudio, "M4A", ".m4a"}, family: "mp4", mimes: []string{"audio/x-m4a", "audio/mp4"}, exts: []string{".m4a"}},
	{t: Type{"video/webm", ClassVideo, "WebM", ".webm"}, family: "webm", mimes: []string{"video/webm"}, exts: []string{".webm", ".weba"}},
	{t: Type{"video/ogg", ClassVideo, "Ogg", ".ogv"}, family: "ogg", mimes: []string{"video/ogg"}, exts: []string{".ogv"}},
	{t: Type{"audio/ogg", ClassAudio, "Ogg", ".ogg"}, family: "ogg", mimes: []string{"audio/ogg", "application/ogg"}, exts: []string{".ogg", ".oga", ".opus"}, generic: true},
	{t: Type{"audio/mpeg", ClassAudio, "MP3", ".mp3"}, family: "mp3", mimes: []string{"audio/mpeg"}, exts: []string{".mp3"}},
	{t: Type{"audio/wav", ClassAudio, "WAV", ".wav"}, family: "wav", mimes: []string{"audio/wav"}, exts: []string{".wav"}},
	{t: Type{"application/pdf", ClassPDF, "PDF", ".pdf"}, family: "pdf", mimes: []string{"application/pdf"}, exts: []string{".pdf"}},
	{t: Type{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", ClassDocument, "DOCX", ".docx"}, family: "docx", mimes: []string{"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}, exts: []string{".docx"}},
	{t: Type{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ClassDocument, "XLSX", ".xlsx"}, family: "xlsx", mimes: []string{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, exts: []string{".xlsx"}},
	{t: Type{"application/vnd.openxmlformats-officedocument.presentationml.presentation", ClassDocument, "PPTX", ".pptx"}, family: "pptx", mimes: []string{"application/vnd.openxmlformats-officedocument.presentationml.presentation"}, exts: []string{".pptx", ".ppsx"}},
	{t: Type{"application/vnd.oasis.opendocument.text", ClassDocument, "ODT", ".odt"}, family: "odt", mimes: []string{"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.text-template"}, exts: []string{".odt", ".ott"}},
	{t: Type{"application/vnd.oasis.opendocument.spreadsheet", ClassDocument, "ODS", ".ods"}, family: "ods", mimes: []string{"application/vnd.oasis.opendocument.spreadsheet", "application/vnd.oasis.opendocument.spreadsheet-template"}, exts: []string{".ods", ".ots"}},
	{t: Type{"application/vnd.oasis.opendocument.presentation", ClassDocument, "ODP", ".odp"}, family: "odp", mimes: []string{"application/vnd.oasis.opendocument.presentation", "application/vnd.oasis.opendocument.presentation-template"}, exts: []string{".odp", ".otp"}},
	// Legacy Office files are OLE compound files; detection tells them
	// apart only when their directory is near the start, so a file it
	// cannot place takes the format its name says.
	{t: Type{"application/msword", ClassDocument, "DOC", ".doc"}, family: "ole", mimes: []string{"application/msword"}, exts: []string{".doc", ".dot"}, generic: true},
	{t: Type{"application/vnd.ms-excel", ClassDocument, "XLS", ".xls"}, family: "ole", mimes: []string{"application/vnd.ms-excel"}, exts: []string{".xls", ".xlt"}, generic: true},
	{t: Type{"application/vnd.ms-powerpoint", ClassDocument, "PPT", ".ppt"}, family: "ole", mimes: []string{"application/vnd.ms-powerpoint"}, exts: []string{".ppt", ".pps", ".pot"}, generic: true},
	{t: Type{"text/plain", ClassText, "TXT", ".txt"}, family: "text", mimes: []string{"text/plain"}, exts: []string{".txt", ".text"}, generic: true},
	{t: Type{"text/csv", ClassText, "CSV", ".csv"}, family: "text", mimes: []string{"text/csv", "text/tab-separated-values"}, exts: []string{".csv", ".tsv"}, generic: true},
}

// refusedExts are names that claim a format refused by content: with an
// accepted content they are a contradiction (a PDF named .exe). The value
// is the family (names of one family are the same claim).
var refusedExts = map[string]string{
	".exe": "exe", ".msi": "msi", ".dll": "exe", ".com": "exe", ".scr": "exe", ".bat": "bat", ".cmd": "bat",
	".ps1": "ps1", ".vbs": "vbs", ".js": "js", ".mjs": "js", ".jar": "jar", ".apk": "apk", ".sh": "sh",
	".py": "py", ".php": "php", ".html": "html", ".htm": "html", ".xhtml": "html", ".svg": "svg", ".svgz": "svg",
	".xml": "xml", ".zip": "zip", ".rar": "rar", ".7z": "7z", ".tar": "tar", ".gz": "gz", ".tgz": "gz",
	".bz2": "bz2", ".xz": "xz", ".iso": "iso", ".dmg": "dmg", ".swf": "swf", ".elf": "elf", ".so": "elf",
}

// contentFamilies are the families of refused contents whose name is one
// of refusedExts' (a zip named .zip is refused for being a zip, not for a
// contradiction), by the extension detection gives them.
var contentFamilies = map[string]string{".exe": "exe", ".so": "elf", ".html": "html", ".svg": "svg", ".gz": "gz"}

// ooxmlDirs tell the OOXML formats apart by their parts' folder.
var ooxmlDirs = []struct{ dir, family string }{{"word/", "docx"}, {"xl/", "xlsx"}, {"ppt/", "pptx"}}

// Head reads the first SniffLen bytes of r (fewer when r is shorter) for
// Sniff, and returns them with a reader of the whole content (them, then
// the rest of r) for Put.
func Head(r io.Reader) ([]byte, io.Reader, error) {
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, nil, err
	}
	head = head[:n]
	return head, io.MultiReader(bytes.NewReader(head), r), nil
}

// Sniff returns the type of a file from head, its first SniffLen bytes
// (or all of it when shorter), and its name. The type is the content's;
// the name only chooses among formats content cannot tell apart (plain
// text or CSV). EINVALID, saying what the content is, for an empty file,
// a content that is not accepted (programs, HTML, SVG, archives other than
// office documents, anything unrecognised), and a content the name's
// extension contradicts (a PDF named photo.jpg, a program named .pdf).
func Sniff(head []byte, filename string) (Type, error) {
	if len(head) == 0 {
		return Type{}, twinfed.Errorf(twinfed.EINVALID, "“%s” is empty.", filename)
	}
	claim, claimLabel, claimFamily := claimOf(filename)
	m := mimetype.Detect(head)
	f, ok := lookup(m)
	if !ok && m.Is("application/zip") {
		f, ok = ooxml(head)
	}
	if !ok && m.Is("application/x-ole-storage") && claim != nil && claim.family == "ole" {
		f, ok = *claim, true
	}
	if ok && f.generic && claim != nil && claim.family == f.family {
		f = *claim // the name chooses within the family
	}
	contentLabel, contentFamily := f.t.Label, f.family
	if !ok {
		contentLabel, contentFamily = labelOf(m)
	}
	if claimFamily != "" && contentFamily != "" && claimFamily != contentFamily {
		return Type{}, twinfed.Errorf(twinfed.EINVALID, "“%s” is named as %s but its content is %s: check that it is the file you meant to upload.", filename, claimLabel, contentLabel)
	}
	if !ok {
		if contentFamily == "" {
			return Type{}, twinfed.Errorf(twinfed.EINVALID, "The type of “%s” could not be recognised. Upload images, video, audio, PDFs, office documents or plain text.", filename)
		}
		return Type{}, twinfed.Errorf(twinfed.EINVALID, "“%s” is not accepted: its content is %s. Upload images, video, audio, PDFs, office documents or plain text.", filename, contentLabel)
	}
	return f.t, nil
}

// TypeOf returns the accepted type served as mime (Type.MIME), for a type
// read back from a record.
func TypeOf(mime string) (Type, bool) {
	for _, f := range formats {
		if f.t.MIME == mime {
			return f.t, true
		}
	}
	return Type{}, false
}

// claimOf returns what a file name's extension claims: the accepted
// format it names (nil for none), and the label and family of the claim
// ("" when the extension is none the tables know, which claims nothing).
func claimOf(filename string) (*format, string, string) {
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(filename, `\`, "/")))
	if ext == "" {
		return nil, "", ""
	}
	for i := range formats {
		for _, e := range formats[i].exts {
			if e == ext {
				return &formats[i], strings.ToUpper(ext[1:]), formats[i].family
			}
		}
	}
	if fam, ok := refusedExts[ext]; ok {
		return nil, strings.ToUpper(ext[1:]), fam
	}
	return nil, "", ""
}

// lookup returns the accepted format of a detected type.
func lookup(m *mimetype.MIME) (format, bool) {
	for _, f := range formats {
		for _, s := range f.mimes {
			if m.Is(s) {
				return f, true
			}
		}
	}
	return format{}, false
}

// labelOf names a refused content and gives its family ("" for a content
// not recognised at all).
func labelOf(m *mimetype.MIME) (string, string) {
	if m.Is("application/octet-stream") {
		return "", ""
	}
	if m.Is("application/x-ole-storage") {
		return "OLE", "ole-other"
	}
	ext := m.Extension()
	if ext == "" {
		// An ELF program has no extension; its MIME type names it.
		if m.Is("application/x-executable") || m.Is("application/x-elf") || m.Is("application/x-sharedlib") || m.Is("application/x-object") {
			return "ELF", "elf"
		}
		return m.String(), m.String()
	}
	fam := strings.TrimPrefix(ext, ".")
	if f, ok := contentFamilies[ext]; ok {
		fam = f
	} else if f, ok := refusedExts[ext]; ok {
		fam = f
	}
	return strings.ToUpper(ext[1:]), fam
}

// ooxml finds an OOXML document among a zip's first entries when
// detection saw a plain zip (a document whose first parts are large
// pushes its word/, xl/ or ppt/ part past what detection reads).
func ooxml(head []byte) (format, bool) {
	for b := head; ; {
		i := bytes.Index(b, []byte("PK\x03\x04"))
		if i < 0 || len(b) < i+30 {
			return format{}, false
		}
		b = b[i:]
		nameLen := int(binary.LittleEndian.Uint16(b[26:28]))
		if len(b) < 30+nameLen {
			return format{}, false
		}
		name := string(b[30 : 30+nameLen])
		for _, d := range ooxmlDirs {
			if strings.HasPrefix(name, d.dir) {
				for _, f := range formats {
					if f.family == d.family {
						return f, true
					}
				}
			}
		}
		b = b[4:]
	}
}
