// Package nodetest holds the helpers of the national node's tests, for
// the tests of node and of its feature packages alike: a real node
// (MustOpenNode: Badger in a temporary directory, HTTP on 127.0.0.1:0,
// mail spooled), a cookie-jar browser that does not follow redirects
// (NewBrowser, Login, APISession; Get, Post, Form, CSRF, API), the mail
// spool's readers (Mails, SpooledMails, MustLink, TokenOf), a small SMTP
// server on 127.0.0.1 a node sends to over TCP (MustStartSMTP; Options.Mailer
// takes its Sender; Stop and Restart take it down and up again on the same
// address) with ParseMail, which decodes a mail's parts, and Eventually.
//
// It is node's helpers_test.go in exported form. It imports node (it
// comes after it in the import order) and only what node's Options take:
// the helpers drive a node through its HTTP side, never through a
// feature's service, so that they keep working while features move.
package nodetest
