/* global window, $ */
// Editor helpers shared by the hub nodes' edit dialogs; Node-RED serves this folder at
// resources/node-red-contrib-study-hub/ and each node's .html loads it.

// Pick lists from the running hub (GET hub-nodes/catalog, behind the editor login).
window.studyHubCatalog =
  window.studyHubCatalog ||
  function (fill) {
    $.getJSON('hub-nodes/catalog')
      .done(fill)
      .fail(function () {
        /* typing stays possible */
      });
  };
window.studyHubList =
  window.studyHubList ||
  function (id, values) {
    var list = $('#' + id);
    if (!list.length) list = $('<datalist id="' + id + '"></datalist>').appendTo('body');
    list.empty();
    (values || []).forEach(function (v) {
      $('<option>').attr('value', v).appendTo(list);
    });
  };
