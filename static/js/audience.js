// "Which best describes you?": remembers the reader's choice in this browser (localStorage) and applies it
// here, so the page itself is the same bytes for every reader (a shared cache may serve it); no cookie is
// set. It shows the plain-language summary to patients and caregivers. Without JavaScript the form's
// "Show" button asks the server for the page with ?audience=…, which works the same way.
(() => {
  "use strict";
  const KEY = "editorial.audience";
  const LABELS = {
    professional: "Healthcare professional",
    patient: "Patient or caregiver",
    student: "Student",
  };

  function valid(value) {
    return Object.prototype.hasOwnProperty.call(LABELS, value) ? value : "";
  }

  function read() {
    try {
      return valid(window.localStorage.getItem(KEY) || "");
    } catch (error) {
      return ""; // storage disabled: the choice applies to this page only
    }
  }

  function remember(value) {
    try {
      window.localStorage.setItem(KEY, value);
    } catch (error) {
      // storage disabled: nothing to remember it in
    }
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
      remember(initial);
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
