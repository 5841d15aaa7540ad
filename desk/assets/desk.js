// Keyboard shortcuts of the editor's desk: j/k move between entries,
// a/r/l accept, reject or leave the current one for later, m focuses its
// section menu, e its 要点. Every action is a plain form too: the desk
// works without this script.
(function () {
  "use strict";
  var current = null;

  function entries() { return Array.prototype.slice.call(document.querySelectorAll("article.entry")); }

  function select(el) {
    if (!el) { return; }
    if (current) { current.classList.remove("current"); }
    current = el;
    el.classList.add("current");
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
  }

  function step(delta) {
    var list = entries();
    if (!list.length) { return; }
    var i = current ? list.indexOf(current) : -1;
    if (i < 0) { select(list[delta > 0 ? 0 : list.length - 1]); return; }
    select(list[Math.min(list.length - 1, Math.max(0, i + delta))]);
  }

  function typing(t) {
    if (!t) { return false; }
    var tag = t.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || t.isContentEditable;
  }

  function press(state) {
    if (!current) { return; }
    var b = current.querySelector("form.state button[name=state][value=" + state + "]");
    if (b) { b.click(); }
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) { return; }
    var el;
    switch (ev.key) {
    case "j": step(1); break;
    case "k": step(-1); break;
    case "a": press("accepted"); break;
    case "r": press("rejected"); break;
    case "l": press("later"); break;
    case "m":
      el = current && current.querySelector("form.move select[name=section]");
      if (el) { el.focus(); }
      break;
    case "e":
      el = current && current.querySelector("form.summary textarea[name=summary]");
      if (el) {
        // The editors of an entry left out are folded away: open them.
        var fold = el.closest("details");
        if (fold) { fold.open = true; }
        el.focus();
      }
      break;
    default: return;
    }
    ev.preventDefault();
  });

  // A click or focus inside an entry makes it the current one.
  document.addEventListener("focusin", function (ev) {
    var el = ev.target.closest && ev.target.closest("article.entry");
    if (el && el !== current) {
      if (current) { current.classList.remove("current"); }
      current = el;
      el.classList.add("current");
    }
  });

  // After a change the page comes back at #entry-N: that entry is current.
  document.addEventListener("DOMContentLoaded", function () {
    var m = /^#(entry-\d+)$/.exec(location.hash);
    if (m) { select(document.getElementById(m[1])); }
  });
}());
