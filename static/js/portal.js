// A few lines of plain JavaScript; the CSP allows no inline script.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-copy"));
      if (!target) { return; }
      var text = target.value !== undefined ? target.value : target.textContent;
      var done = function () {
        var label = button.getAttribute("data-copied") || "Copied";
        button.textContent = label;
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text.trim()).then(done);
      } else if (target.select) {
        target.select();
        document.execCommand("copy");
        done();
      }
    });
  });
  // A form posted once something happened on the page, e.g. the passkey script's
  // "otp_webauthn.register_complete": the next page is the server's to show.
  document.querySelectorAll("form[data-after]").forEach(function (form) {
    document.addEventListener(form.getAttribute("data-after"), function () { form.submit(); });
  });
  // A form that the server carries out only when told it was confirmed (data-confirmed)
  // says so once the question is answered; without script it lands on a page that asks.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
        return;
      }
      form.querySelectorAll("input[data-confirmed]").forEach(function (input) {
        input.value = "1";
      });
    });
  });
});
