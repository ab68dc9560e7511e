// Click a column header of a table.sortable to sort its rows by that column; click again to reverse.
// Cells carry their raw value in data-sort; empty values (no data) always sort last.
// Without JavaScript the table is a plain table in the server's order.
(function () {
  "use strict";

  function compare(type, a, b) {
    if (a === b) return 0;
    if (a === "") return 1;
    if (b === "") return -1;
    if (type === "number") return parseFloat(a) - parseFloat(b);
    return a.localeCompare(b);
  }

  function sortBy(table, header) {
    var index = Array.prototype.indexOf.call(header.parentNode.children, header);
    var descending = header.getAttribute("aria-sort") === "ascending";
    var type = header.dataset.type || "text";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (left, right) {
      var a = left.cells[index].dataset.sort || "";
      var b = right.cells[index].dataset.sort || "";
      var order = compare(type, a, b);
      // empty values stay last in both directions
      return descending && a !== "" && b !== "" ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(header.parentNode.children, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  function install(table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
      header.tabIndex = 0;
      header.addEventListener("click", function () { sortBy(table, header); });
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(table, header); }
      });
    });
  }

  document.querySelectorAll("table.sortable").forEach(install);
})();
