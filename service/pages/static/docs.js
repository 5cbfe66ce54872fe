// Swagger UI on the service's own OpenAPI document, from the vendored bundle: no validator
// badge (it would call another host) and nothing else fetched from elsewhere.
window.addEventListener("DOMContentLoaded", function () {
  var node = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: node.getAttribute("data-spec"),
    domNode: node,
    deepLinking: true,
    validatorUrl: null,
  });
});
