package testutil

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"
	"time"
)

// DeskCSRF finds the CSRF token of a desk page's forms.
var DeskCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// DeskSignIn signs in to the editor's desk served at base (the address
// before /desk/) with password, as a browser does: the login form's token
// and cookie, then the form. It returns the client, which keeps the
// session, and the page and address it ended on: a draft under
// /desk/issue/ when the password was taken.
func DeskSignIn(t testing.TB, base, password string) (*http.Client, string, *url.URL) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, Timeout: time.Minute}
	resp, err := client.Get(base + "/desk/login")
	if err != nil {
		t.Fatal(err)
	}
	login, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := DeskCSRF.FindSubmatch(login)
	if m == nil {
		t.Fatalf("the desk's login page (%s) has no CSRF token:\n%s", resp.Status, login)
	}
	resp, err = client.PostForm(base+"/desk/login", url.Values{"password": {password}, "csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return client, string(page), resp.Request.URL
}
