// password.js: a password field's "Show" button shows what was typed, to
// check it, and "Hide" hides it again; its name for a screen reader
// ("Show Password", "Hide Password") changes with it. Without scripts the
// button stays hidden. The field is a password again before its form is
// sent, so a browser saves it as one.
(() => {
  for (const b of document.querySelectorAll("button[data-show-password][hidden]")) {
    const input = document.getElementById(b.getAttribute("aria-controls"));
    if (!input) continue;
    b.hidden = false; // armed: a shown button is not taken again
    const show = (on) => {
      input.type = on ? "text" : "password";
      b.textContent = on ? b.dataset.hidePassword : b.dataset.showPassword;
      b.setAttribute("aria-label", on ? b.dataset.hideLabel : b.dataset.showLabel);
    };
    b.addEventListener("click", () => {
      show(input.type === "password");
      input.focus();
    });
    input.form?.addEventListener("submit", () => show(false));
  }
})();
