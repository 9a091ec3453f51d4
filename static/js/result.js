// The result page prints with every cause unfolded: its reasons and fixes are what a doctor
// or a coach would want to read.
window.addEventListener("beforeprint", () => {
  document.querySelectorAll("details.cause-details").forEach((details) => {
    details.open = true;
  });
});
