// Package desk is the editor's desk: the browser pages at /desk/ where the
// editor reviews the week's draft issue, decides about each candidate,
// moves and orders them, writes the 要点, notes and 推荐阅读, adds articles
// by URL, checks and publishes the issue, with the issue as it will be
// published beside the draft.
//
// It sits on top of the digest (Builder: the draft, the preview, the check,
// publication) and the store (Store: the editor's changes), the same calls
// feedcurator issue makes from a terminal. The pages are server-rendered
// html/template, embedded in the binary, and work without their one small
// script (keyboard shortcuts). The desk is for the editor alone: sign-in
// with a bcrypt password, sessions kept in memory, a CSRF token on every
// change, cross-site requests refused, loopback only unless configured.
package desk
