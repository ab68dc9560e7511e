// Live wallboard: every "board" message of the SSE stream repaints the tiles and the queue rows.
(function () {
  "use strict";
  var script = document.currentScript;
  var connection = document.getElementById("connection");
  var updated = document.getElementById("updated");
  var queueRows = document.getElementById("queue-rows");

  function paintTiles(tiles) {
    tiles.forEach(function (tile) {
      var element = document.querySelector('[data-tile="' + tile.id + '"]');
      if (!element) { return; }
      element.dataset.status = tile.status;
      element.querySelector(".value").textContent = tile.text;
      element.querySelector(".note").textContent = tile.note;
    });
  }

  function queueRow(queue) {
    var row = document.createElement("tr");
    var name = document.createElement("th");
    name.scope = "row";
    name.textContent = queue.queue;
    row.appendChild(name);
    queue.cells.forEach(function (cell) {
      var td = document.createElement("td");
      td.dataset.status = cell.status;
      td.textContent = cell.text;
      row.appendChild(td);
    });
    return row;
  }

  function paint(board) {
    paintTiles(board.tiles);
    queueRows.replaceChildren.apply(queueRows, board.queues.map(queueRow));
    updated.textContent = board.at;
  }

  var source = new EventSource(script.dataset.stream);
  source.addEventListener("open", function () { connection.dataset.state = "live"; connection.textContent = "live"; });
  source.addEventListener("error", function () { connection.dataset.state = "lost"; connection.textContent = "reconnecting"; });
  source.addEventListener("board", function (message) { paint(JSON.parse(message.data)); });
  window.addEventListener("pagehide", function () { source.close(); });
})();
