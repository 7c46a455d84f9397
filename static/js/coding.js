// Reading and coding: clicking or focusing a highlight picks out its codings in the side list,
// where their codes, coder and memo are shown and their owner can remove them.
function showCodings(mark) {
  const ids = new Set(mark.dataset.codings.trim().split(/\s+/));
  for (const item of document.querySelectorAll(".coding-list [data-coding]")) {
    item.classList.toggle("picked", ids.has(item.dataset.coding));
  }
  const first = document.querySelector(".coding-list .picked");
  if (first) first.scrollIntoView({ block: "nearest" });
}

document.addEventListener("click", (event) => {
  const mark = event.target.closest && event.target.closest("mark.coded");
  if (mark) showCodings(mark);
});

document.addEventListener("keydown", (event) => {
  const mark = event.target.closest && event.target.closest("mark.coded");
  if (mark && (event.key === "Enter" || event.key === " ")) {
    event.preventDefault();
    showCodings(mark);
  }
});
