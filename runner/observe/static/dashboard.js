// Live updates: poll the server's rendered fragments once a second and swap them in.
// The server renders every piece of HTML; this script only moves it into the page.
"use strict";
(function () {
  const ids = ["summary", "containers", "map", "credits", "logs", "logs-name"];
  let selected = document.body.dataset.logs || "";

  function mark() {
    document.querySelectorAll("tr.container").forEach(function (row) {
      row.classList.toggle("selected", row.dataset.id === selected);
    });
  }

  async function refresh() {
    try {
      const answer = await fetch("fragments?logs=" + encodeURIComponent(selected),
                                 {cache: "no-store"});
      if (answer.ok) {
        const parts = await answer.json();
        ids.forEach(function (id) {
          const node = document.getElementById(id);
          if (node && id in parts) {
            if (id === "logs" || id === "logs-name") { node.textContent = parts[id]; }
            else { node.innerHTML = parts[id]; }
          }
        });
        document.body.dataset.updated = parts.at;
        mark();
      }
    } catch (error) {
      document.body.dataset.error = String(error);
    }
    setTimeout(refresh, 1000);
  }

  document.getElementById("containers").addEventListener("click", function (event) {
    const row = event.target.closest("tr.container");
    if (row) { selected = row.dataset.id; mark(); }
  });
  mark();
  setTimeout(refresh, 1000);
})();
