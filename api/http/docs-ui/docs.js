// Swagger UI over this server's OpenAPI document, offline: no validator badge (it would call
// out to the internet), and "Try it out" sends the key entered under Authorize to this server.
"use strict";

window.ui = SwaggerUIBundle({
  url: "/v1/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  displayRequestDuration: true,
  persistAuthorization: false,
});
