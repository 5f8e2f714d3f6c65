// supplywatch: datasette-dashboards draws its tables without a label on each cell, so on a phone a
// row could only scroll sideways. Each cell gets its column's name (data-label), and supplywatch.css
// shows every row as a card of "label value" lines below 700 px, as the owner tables and Datasette's
// own tables do.
(function () {
  function label(table) {
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    for (const row of table.querySelectorAll("tbody tr")) {
      [...row.children].forEach((cell, i) => cell.setAttribute("data-label", heads[i] || ""));
    }
    table.classList.add("card-rows");
  }
  function look(node) {
    if (node.nodeType !== 1) return;
    const tables = node.matches("table") ? [node] : [...node.querySelectorAll("table")];
    tables.filter((t) => t.closest(".dashboard-card-chart")).forEach(label);
  }
  new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach(look)))
    .observe(document.documentElement, { childList: true, subtree: true });
})();
