// The home page's latest developments, arriving live: each development recorded after the
// page loaded is put at the top of the list, from the feed at /v1/stream (Server-Sent
// Events). Without JavaScript the list is the one the server rendered; reload for newer.
(function () {
  "use strict";

  function words(name) {
    return name.replace(/_/g, " ").replace(/\./g, " ");
  }

  function item(event) {
    var li = document.createElement("li");
    li.className = "arrived";
    var time = document.createElement("time");
    time.textContent = event.occurred;
    var type = document.createElement("span");
    type.className = "type";
    type.textContent = words(event.type);
    var link = document.createElement("a");
    link.href = "/subjects/" + encodeURIComponent(event.subject);
    link.textContent = event.title;
    li.append(time, " ", type, " ", link);
    if (event.parties && event.parties.length) {
      var parties = document.createElement("span");
      parties.className = "parties";
      parties.textContent = event.parties.join(", ");
      li.append(" ", parties);
    }
    return li;
  }

  function listIn(section) {
    var list = section.querySelector("ol.developments");
    if (list) {
      return list;
    }
    list = document.createElement("ol");
    list.className = "developments";
    var none = section.querySelector(".none");
    if (none) {
      none.remove();
    }
    section.append(list);
    return list;
  }

  // Each message is named by its development's type, so the page listens for every type
  // the catalogue (/v1/types) names.
  function follow(section, types) {
    var after = section.getAttribute("data-after");
    var url = section.getAttribute("data-stream") + (after ? "?after=" + after : "");
    var source = new EventSource(url);
    function arrived(message) {
      var event = JSON.parse(message.data);
      listIn(section).prepend(item(event));
      section.setAttribute("data-received", String(event.position));
    }
    types.forEach(function (type) {
      source.addEventListener(type.name, arrived);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var section = document.querySelector("[data-stream]");
    if (!section || !window.EventSource || !window.fetch) {
      return;
    }
    fetch("/v1/types", { headers: { Accept: "application/json" } })
      .then(function (answer) {
        return answer.ok ? answer.json() : Promise.reject(answer.status);
      })
      .then(function (types) {
        follow(section, types);
      })
      .catch(function () {
        // the list stays as the server rendered it
      });
  });
})();
