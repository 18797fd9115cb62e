// "Which best describes you?": remembers the reader's choice (localStorage and a cookie the server reads)
// and shows the plain-language summary to patients and caregivers. Without JavaScript the form's
// "Show" button asks the server for the page with ?audience=…, which works the same way.
(() => {
  "use strict";
  const KEY = "editorial.audience";
  const COOKIE = "audience";
  const LABELS = {
    professional: "Healthcare professional",
    patient: "Patient or caregiver",
    student: "Student",
  };

  function valid(value) {
    return Object.prototype.hasOwnProperty.call(LABELS, value) ? value : "";
  }

  function readCookie() {
    for (const part of document.cookie.split(";")) {
      const [name, ...rest] = part.trim().split("=");
      if (name === COOKIE) return valid(decodeURIComponent(rest.join("=")));
    }
    return "";
  }

  function read() {
    let stored = "";
    try {
      stored = valid(window.localStorage.getItem(KEY) || "");
    } catch (error) {
      stored = ""; // storage disabled: the cookie still remembers
    }
    return stored || readCookie();
  }

  function remember(value) {
    try {
      window.localStorage.setItem(KEY, value);
    } catch (error) {
      // storage disabled: the cookie below is enough
    }
    const secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = `${COOKIE}=${encodeURIComponent(value)}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
  }

  function apply(value, announce) {
    const key = value || "none";
    for (const element of document.querySelectorAll("[data-audience-show]")) {
      element.hidden = !element.dataset.audienceShow.split(" ").includes(key);
    }
    for (const radio of document.querySelectorAll('#audience-form input[name="audience"]')) {
      radio.checked = radio.value === value;
    }
    for (const input of document.querySelectorAll("input[data-audience-field]")) {
      input.value = value;
    }
    const status = document.getElementById("audience-status");
    if (status && announce) {
      status.textContent = value ? `Showing this page for: ${LABELS[value]}.` : "";
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("audience-form");
    if (!form) return;
    // The choice applies as soon as it changes; the "Show" button is for pages without JavaScript.
    for (const button of form.querySelectorAll("[data-audience-submit]")) button.remove();
    const checked = form.querySelector('input[name="audience"]:checked');
    const initial = read() || (checked ? valid(checked.value) : "");
    if (initial) {
      apply(initial, false);
      if (!readCookie()) remember(initial);
    }
    form.addEventListener("change", (event) => {
      const value = valid(event.target.value);
      if (event.target.name !== "audience" || !value) return;
      remember(value);
      apply(value, true);
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const selected = form.querySelector('input[name="audience"]:checked');
      if (selected) {
        remember(valid(selected.value));
        apply(valid(selected.value), true);
      }
    });
  });
})();
