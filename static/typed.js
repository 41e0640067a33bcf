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
(() => {
  const key = "portalTyped:" + location.pathname + location.search;
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
  let kept = null;
  try {
    if (how === "reload" || how === "back_forward") kept = JSON.parse(sessionStorage.getItem(key) || "null");
  } catch {}
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
