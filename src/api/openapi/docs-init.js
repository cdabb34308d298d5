/* global window, SwaggerUIBundle */
/*
 * Swagger UI (swagger-ui-dist, served by the hub itself: no CDN) on /api/openapi.json. "Authorize" takes
 * an API token (the bearer scheme); "Try it out" then calls the hub with it. The token stays in this page
 * (not stored in the browser).
 */
window.addEventListener('load', function () {
  'use strict';
  window.ui = SwaggerUIBundle({
    url: 'openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    tryItOutEnabled: false,
    persistAuthorization: false,
    displayOperationId: false,
    defaultModelsExpandDepth: 0,
    docExpansion: 'list',
    filter: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
