// kehoach review: the few lines of behaviour the pages need, no framework.
// 1. Clicking a task (table or text) highlights every piece of its span and scrolls to it.
//    j / k move to the next / previous task.
// 2. Selecting text in the document offers "Add as a missed task" with the selection's offsets
//    into documents.content (counted in code points, as Python counts them).
"use strict";

function highlightTask(id, scrollText, scrollRow) {
  document.querySelectorAll(".tk.hl").forEach((el) => el.classList.remove("hl"));
  document.querySelectorAll(".task-row.current").forEach((el) => el.classList.remove("current"));
  const pieces = document.querySelectorAll(`#text [data-t~="${id}"]`);
  pieces.forEach((el) => el.classList.add("hl"));
  const row = document.getElementById("row-" + id);
  if (row) {
    row.classList.add("current");
    if (scrollRow) row.scrollIntoView({ block: "nearest" });
  }
  if (scrollText && pieces.length) pieces[0].scrollIntoView({ block: "center" });
}

function codePoints(text) {
  return Array.from(text).length;
}

function selectionOffsets(doc) {
  const selection = window.getSelection();
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  if (!doc.contains(range.startContainer) || !doc.contains(range.endContainer)) return null;
  const before = document.createRange();
  before.setStart(doc, 0);
  before.setEnd(range.startContainer, range.startOffset);
  const raw = range.toString();
  const trimmedStart = raw.length - raw.trimStart().length;
  const selected = raw.trim();
  if (codePoints(selected) < 3) return null;
  const start = codePoints(before.toString()) + codePoints(raw.slice(0, trimmedStart));
  return { start: start, end: start + codePoints(selected), selected: selected };
}

document.addEventListener("DOMContentLoaded", () => {
  const doc = document.getElementById("text");
  if (!doc) return;
  document.querySelectorAll("a.goto").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      highlightTask(link.dataset.task, true, false);
      history.replaceState(null, "", "#task-" + link.dataset.task);
    });
  });
  doc.addEventListener("click", (event) => {
    if (!window.getSelection().isCollapsed) return;
    const piece = event.target.closest("[data-t]");
    if (piece) highlightTask(piece.dataset.t.split(" ").pop(), false, true);
  });
  const hash = location.hash.match(/^#task-(\d+)$/);
  if (hash) highlightTask(hash[1], true, true);
  document.addEventListener("keydown", (event) => {
    // j / k: next / previous task, as in a mail reader; never while typing in a form
    if (event.key !== "j" && event.key !== "k") return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.target.closest("input, select, textarea")) return;
    const rows = Array.from(document.querySelectorAll("tr.task-row:not(.not-task)"));
    if (!rows.length) return;
    const at = rows.findIndex((row) => row.classList.contains("current"));
    const next = event.key === "j" ? Math.min(at + 1, rows.length - 1) : Math.max(at - 1, 0);
    highlightTask(rows[next].dataset.task, true, true);
    event.preventDefault();
  });

  const form = document.getElementById("add-task");
  if (!form) return;
  document.addEventListener("selectionchange", () => {
    const found = selectionOffsets(doc);
    if (!found) return;
    form.elements.span_start.value = found.start;
    form.elements.span_end.value = found.end;
    form.elements.selected.value = found.selected;
    form.querySelector(".selection-info").textContent =
      `${found.end - found.start} characters selected (${found.start}–${found.end}) `;
    form.hidden = false;
  });
});
