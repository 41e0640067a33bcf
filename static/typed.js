// typed.js: a form marked data-keep-typed keeps what the person typed in
// it — never a password — across a reload and Back. The browser brings
// form values back on Back at best, and not on a reload; a form sent back
// with a mistake also gives its history entry the page's own address
// (history.js), whose GET renders the form empty. So what was typed is
// kept in this entry's history state, in this browser alone (never in the
// address, never sent anywhere), when the page is left (a reload too),
// and put back when the entry is shown again.
(() => {
  const KEY = "portalTyped";
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
    history.replaceState({ ...(history.state || {}), [KEY]: kept }, "");
  };
  const kept = history.state && history.state[KEY];
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
  addEventListener("pagehide", save);
})();
