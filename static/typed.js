// typed.js: a form marked data-keep-typed keeps what the person typed in
// it — never a password — across a reload and Back. The browser brings
// form values back on Back at best, and not on a reload; a form sent back
// with a mistake also gives its history entry the page's own address
// (history.js), whose GET renders the form empty. So what is typed is
// kept as it is typed in this tab's session storage, under the page's
// address (in this browser alone, never in the address, never sent
// anywhere, gone with the tab), and put back when the page is shown again
// by a reload or by Back or Forward; a page reached afresh starts empty.
// (Not in the history entry's state: replacing it as the person types is a
// navigation of its own to the browser's tooling.)
//
// Signing out forgets all of it, so that on a shared computer Back cannot
// bring one person's typing back to the next: submitting a form marked
// data-forget-typed (the sign-out buttons) clears this tab's, and so does
// the page that says nobody is signed in (an element marked
// data-forget-typed), for a session that ended some other way.
(() => {
  if (window.portalTypedLoaded) return; // the page names the script twice
  window.portalTypedLoaded = true;
  const prefix = "portalTyped:";
  const forget = () => {
    try {
      for (const k of Object.keys(sessionStorage)) if (k.startsWith(prefix)) sessionStorage.removeItem(k);
    } catch {} // storage off: nothing was kept
  };
  for (const f of document.querySelectorAll("form[data-forget-typed]")) f.addEventListener("submit", forget);
  if (document.querySelector("[data-forget-typed]:not(form)")) {
    forget();
    return;
  }
  const key = prefix + location.pathname + location.search;
  const forms = () => document.querySelectorAll("form[data-keep-typed]");
  // What a person types, but secrets: a password (even while "Show"
  // makes it text) or a one-time code.
  const typed = (form) => [...form.elements].filter((el) => {
    if (!el.name || el.disabled) return false;
    if (/password|one-time-code/.test(el.autocomplete || "")) return false;
    if (el.tagName === "SELECT" || el.tagName === "TEXTAREA") return true;
    return el.tagName === "INPUT" && !["password", "hidden", "file", "submit", "button", "reset", "image"].includes(el.type);
  });
  const checkable = (el) => el.type === "checkbox" || el.type === "radio";
  const name = (el) => (checkable(el) ? el.name + "=" + el.value : el.name);
  const save = () => {
    const kept = {};
    for (const f of forms()) {
      const values = (kept[f.getAttribute("action")] = {});
      for (const el of typed(f)) values[name(el)] = checkable(el) ? el.checked : el.value;
    }
    try {
      sessionStorage.setItem(key, JSON.stringify(kept));
    } catch {} // storage off or full: the browser's own behaviour
  };
  const how = performance.getEntriesByType("navigation")[0]?.type;
  let kept = null, forgotten = false;
  try {
    if (how === "reload" || how === "back_forward") {
      const s = sessionStorage.getItem(key);
      kept = JSON.parse(s || "null");
      // Every visit keeps something (save, below): nothing under this
      // address means it was forgotten by signing out. The browser's own
      // memory of the form would still bring the values back on Back,
      // so the page's own values are put back instead.
      forgotten = s === null;
    }
  } catch {}
  if (forgotten) {
    // The browser puts its memory back once the page is parsed, after
    // this script, but not into a field whose autocomplete is off: off it
    // stays until the person first presses a key or a pointer, by when
    // that is long done, and then the field's own autocomplete (autofill's
    // "email", "given-name") is back.
    const held = [];
    for (const f of forms()) {
      for (const el of typed(f)) {
        if (checkable(el)) el.checked = el.defaultChecked;
        else if (el.tagName === "SELECT") for (const o of el.options) o.selected = o.defaultSelected;
        else el.value = el.defaultValue;
        held.push([el, el.getAttribute("autocomplete")]);
        el.setAttribute("autocomplete", "off");
      }
    }
    const giveBack = () => {
      for (const [el, was] of held) {
        if (was === null) el.removeAttribute("autocomplete");
        else el.setAttribute("autocomplete", was);
      }
      removeEventListener("keydown", giveBack, true);
      removeEventListener("pointerdown", giveBack, true);
    };
    addEventListener("keydown", giveBack, true);
    addEventListener("pointerdown", giveBack, true);
  }
  if (kept) {
    for (const f of forms()) {
      const values = kept[f.getAttribute("action")];
      if (!values) continue;
      for (const el of typed(f)) {
        if (!(name(el) in values)) continue;
        if (checkable(el)) el.checked = values[name(el)];
        else el.value = values[name(el)];
      }
    }
  }
  save();
  for (const f of forms()) f.addEventListener("input", save);
})();
