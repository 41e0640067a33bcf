/*
 * passkeys.js — the portal's only script for passkeys. No dependencies, no
 * modules, no inline code: load it with
 *
 *   <script src="/static/passkeys.js" defer></script>
 *
 * Everything else works without it; pages need no script of their own.
 *
 * HTML contract
 * -------------
 * Support. When the browser has WebAuthn, the script adds the class
 * "has-webauthn" to <html> and removes the `hidden` attribute from every
 * [data-passkey-only] element. Mark passkey-only UI either with `hidden`
 * (works with no CSS) or hide it in CSS:
 *   html:not(.has-webauthn) [data-passkey-only] { display: none !important; }
 *
 * Sign in — a form marked data-passkey-login, or a button marked so inside
 * another form (e.g. the identifier form; give it type="button"):
 *
 *   <form method="post" action="/sign-in/passkey" data-passkey-login
 *         data-options-url="/sign-in/passkey/options" data-passkey-only hidden>
 *     <input type="hidden" name="_csrf" value="…">
 *     <button type="submit">Sign in with a passkey</button>
 *     <p data-passkey-error role="alert" hidden></p>
 *   </form>
 *
 * Add a passkey — the same with data-passkey-register:
 *
 *   <form method="post" action="/user/passkeys" data-passkey-register
 *         data-options-url="/user/passkeys/options" data-passkey-only hidden>
 *     <input type="hidden" name="_csrf" value="…">
 *     <button type="submit">Add a passkey</button>
 *     <p data-passkey-error role="alert" hidden></p>
 *   </form>
 *
 * What happens on submit (button click):
 *  1. POST data-options-url, body = the form's fields urlencoded (so _csrf
 *     and any flow field such as sign_in go along), headers
 *     X-CSRF-Token (from <meta name="csrf-token"> or the form's _csrf) and
 *     Accept: application/json. Expected answer, 200:
 *       {"challenge_id": "pkc_…", "publicKey": {…WebAuthn options JSON…}}
 *     which is what passkey.Service.BeginLogin/BeginRegistration return.
 *     On failure answer 4xx/5xx with {"error": "Message for the person"};
 *     anything else shows a generic message.
 *  2. navigator.credentials.get / create with those options.
 *  3. The form is submitted normally to its action (or data-finish-url if
 *     set) with two more fields, created if missing:
 *       challenge_id = the challenge ID from step 1
 *       credential   = the PublicKeyCredential as JSON (base64url binaries)
 *     The server answers as for any form: a 303 redirect on success, or the
 *     page again with an error.
 *
 * Autofill (conditional mediation). If the page has an input whose
 * autocomplete contains "webauthn" (autocomplete="username webauthn") and a
 * [data-passkey-login] element, and the browser supports conditional
 * mediation, the script fetches options from that element's
 * data-options-url on load and offers passkeys in the input's autofill; a
 * choice submits the [data-passkey-login] form as above. Clicking the
 * button cancels the pending autofill request first.
 *
 * Messages are English by default; override them with data-msg-failed,
 * data-msg-cancelled and data-msg-exists on the [data-passkey-*] element.
 * An error goes into the element's [data-passkey-error] descendant (made
 * visible), else into an alert().
 */
(function () {
  "use strict";

  var PKC = window.PublicKeyCredential;
  if (!PKC || !navigator.credentials || !window.fetch) {
    return; // passkey UI stays hidden
  }
  document.documentElement.classList.add("has-webauthn");

  var MESSAGES = {
    failed: "Something went wrong with your passkey. Try again or use another way.",
    cancelled: "",
    exists: "This device already has a passkey for your account."
  };

  // base64url <-> ArrayBuffer
  function toBuffer(s) {
    var b64 = s.replace(/-/g, "+").replace(/_/g, "/");
    var bin = atob(b64 + "===".slice((b64.length + 3) % 4));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out.buffer;
  }

  function toBase64url(buf) {
    if (!buf) {
      return undefined;
    }
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) {
      bin += String.fromCharCode(bytes[i]);
    }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIDs(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: toBuffer(c.id) });
    });
  }

  function creationOptions(json) {
    if (typeof PKC.parseCreationOptionsFromJSON === "function") {
      return PKC.parseCreationOptionsFromJSON(json);
    }
    var o = Object.assign({}, json);
    o.challenge = toBuffer(json.challenge);
    o.user = Object.assign({}, json.user, { id: toBuffer(json.user.id) });
    o.excludeCredentials = withIDs(json.excludeCredentials);
    return o;
  }

  function requestOptions(json) {
    if (typeof PKC.parseRequestOptionsFromJSON === "function") {
      return PKC.parseRequestOptionsFromJSON(json);
    }
    var o = Object.assign({}, json);
    o.challenge = toBuffer(json.challenge);
    o.allowCredentials = withIDs(json.allowCredentials);
    return o;
  }

  function credentialJSON(cred) {
    var out;
    if (typeof cred.toJSON === "function") {
      out = cred.toJSON();
    } else {
      var r = cred.response;
      var response = { clientDataJSON: toBase64url(r.clientDataJSON) };
      if (r.attestationObject) {
        response.attestationObject = toBase64url(r.attestationObject);
        response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
      } else {
        response.authenticatorData = toBase64url(r.authenticatorData);
        response.signature = toBase64url(r.signature);
        response.userHandle = toBase64url(r.userHandle);
      }
      out = {
        id: cred.id,
        rawId: toBase64url(cred.rawId),
        type: cred.type,
        authenticatorAttachment: cred.authenticatorAttachment || undefined,
        response: response
      };
    }
    // The portal requests no extensions, and the server refuses outputs it
    // did not ask for; drop any a browser or password manager adds unasked.
    out.clientExtensionResults = {};
    return JSON.stringify(out);
  }

  function formOf(el) {
    return el.tagName === "FORM" ? el : el.form;
  }

  function csrfToken(form) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) {
      return meta.content;
    }
    var input = form && form.querySelector('input[name="_csrf"]');
    return input ? input.value : "";
  }

  function message(el, key) {
    var custom = el.getAttribute("data-msg-" + key);
    return custom !== null ? custom : MESSAGES[key];
  }

  function showError(el, text) {
    var box = el.querySelector("[data-passkey-error]") ||
      (formOf(el) && formOf(el).querySelector("[data-passkey-error]"));
    if (box) {
      box.textContent = text;
      box.hidden = !text;
    } else if (text) {
      window.alert(text);
    }
  }

  function setField(form, name, value) {
    var input = form.querySelector('input[name="' + name + '"]');
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    input.value = value;
  }

  // fetchOptions POSTs the form's fields to data-options-url.
  function fetchOptions(el) {
    var form = formOf(el);
    var body = new URLSearchParams();
    if (form) {
      new FormData(form).forEach(function (value, name) {
        if (name !== "challenge_id" && name !== "credential" && typeof value === "string") {
          body.append(name, value);
        }
      });
    }
    return fetch(el.getAttribute("data-options-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrfToken(form) },
      body: body
    }).then(function (res) {
      return res.json().catch(function () {
        return {};
      }).then(function (data) {
        if (!res.ok || !data.publicKey || !data.challenge_id) {
          var err = new Error(data.error || "");
          err.name = "PortalError";
          throw err;
        }
        return data;
      });
    });
  }

  function finish(el, challengeID, cred) {
    var form = formOf(el);
    setField(form, "challenge_id", challengeID);
    setField(form, "credential", credentialJSON(cred));
    var finishURL = el.getAttribute("data-finish-url");
    if (finishURL) {
      form.action = finishURL;
    }
    form.submit(); // a normal navigation: the server redirects
  }

  function explain(el, err) {
    if (err.name === "AbortError") {
      return; // we cancelled it ourselves
    }
    if (err.name === "PortalError") {
      showError(el, err.message || message(el, "failed"));
    } else if (err.name === "NotAllowedError") {
      showError(el, message(el, "cancelled")); // dismissed or timed out
    } else if (err.name === "InvalidStateError") {
      showError(el, message(el, "exists")); // excludeCredentials matched
    } else {
      showError(el, message(el, "failed"));
    }
  }

  // Autofill holds a pending get(); a modal one cannot start until it ends.
  var autofill = null;

  function cancelAutofill() {
    if (autofill) {
      autofill.abort();
      autofill = null;
    }
  }

  function startAutofill(el) {
    if (typeof PKC.isConditionalMediationAvailable !== "function" || typeof AbortController !== "function") {
      return;
    }
    PKC.isConditionalMediationAvailable().then(function (available) {
      if (!available) {
        return;
      }
      return fetchOptions(el).then(function (data) {
        cancelAutofill();
        var controller = new AbortController();
        autofill = controller;
        return navigator.credentials.get({
          mediation: "conditional",
          publicKey: requestOptions(data.publicKey),
          signal: controller.signal
        }).then(function (cred) {
          if (cred && autofill === controller) {
            autofill = null;
            finish(el, data.challenge_id, cred);
          }
        });
      });
    }).catch(function () {
      // Autofill is a convenience: when it fails the button still works.
    });
  }

  function ceremony(el, register) {
    var button = el.tagName === "FORM" ? el.querySelector('button:not([type]), [type="submit"]') : el;
    cancelAutofill();
    showError(el, "");
    if (button) {
      button.disabled = true;
    }
    el.setAttribute("aria-busy", "true");
    fetchOptions(el).then(function (data) {
      var call = register
        ? navigator.credentials.create({ publicKey: creationOptions(data.publicKey) })
        : navigator.credentials.get({ publicKey: requestOptions(data.publicKey) });
      return call.then(function (cred) {
        if (!cred) {
          throw new Error("no credential");
        }
        finish(el, data.challenge_id, cred);
      });
    }).catch(function (err) {
      if (button) {
        button.disabled = false;
      }
      el.removeAttribute("aria-busy");
      explain(el, err);
      if (!register && hasAutofillInput()) {
        startAutofill(el); // the old challenge is spent; offer autofill again
      }
    });
  }

  function hasAutofillInput() {
    var inputs = document.querySelectorAll("input[autocomplete]");
    for (var i = 0; i < inputs.length; i++) {
      if (/(^|\s)webauthn(\s|$)/i.test(inputs[i].getAttribute("autocomplete"))) {
        return true;
      }
    }
    return false;
  }

  // A form runs the ceremony on submit; a button inside another form (the
  // identifier form, say) runs it on click, leaving that form's own submit
  // alone.
  function bind(selector, register) {
    var els = document.querySelectorAll(selector);
    for (var i = 0; i < els.length; i++) {
      (function (el) {
        if (!formOf(el) || !el.getAttribute("data-options-url")) {
          return;
        }
        el.addEventListener(el.tagName === "FORM" ? "submit" : "click", function (ev) {
          ev.preventDefault();
          ceremony(el, register);
        });
      })(els[i]);
    }
    return els;
  }

  var hidden = document.querySelectorAll("[data-passkey-only]");
  for (var i = 0; i < hidden.length; i++) {
    hidden[i].hidden = false;
  }
  var logins = bind("[data-passkey-login]", false);
  bind("[data-passkey-register]", true);
  if (logins.length && hasAutofillInput()) {
    startAutofill(logins[0]);
  }
})();
