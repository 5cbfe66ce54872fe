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

  function follow(section) {
    var after = section.getAttribute("data-after");
    var url = section.getAttribute("data-stream") + (after ? "?after=" + after : "");
    var source = new EventSource(url);
    function arrived(message) {
      var event = JSON.parse(message.data);
      listIn(section).prepend(item(event));
      section.setAttribute("data-received", String(event.position));
    }
    [
      "meeting.held", "statement.issued", "agreement.negotiation_updated", "agreement.signed",
      "agreement.ratified", "agreement.entered_into_force", "agreement.status_changed",
      "deal.clinched", "deal.updated", "exercise.conducted", "assistance.provided",
      "development.corrected", "development.retracted"
    ].forEach(function (type) {
      source.addEventListener(type, arrived);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var section = document.querySelector("[data-stream]");
    if (section && window.EventSource) {
      follow(section);
    }
  });
})();
