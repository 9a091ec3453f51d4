// The error summary (templates/includes/_error_summary.html) takes the focus when the page
// loads, so a screen reader reads it out and Tab carries on from it. Each of its links moves
// the focus to the field it names, with the field's question scrolled into view.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  summary.focus();
  summary.querySelectorAll("a[href^='#']").forEach((link) => {
    link.addEventListener("click", (event) => {
      const field = document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (!field) return;
      event.preventDefault();
      const question = field.closest("fieldset")?.querySelector("legend") || field.labels?.[0];
      (question || field).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  });
});
