/* global document, window, EventSource */
// Admin console: live values over server-sent events, select-all boxes, and a guard that keeps
// personal codes out of addresses. Plain script, no build step; the pages work without it.
(function () {
  'use strict';

  // Live values: the server sends {at, values: {key: text}}; elements with data-live="key" show them.
  var src = document.body.getAttribute('data-live-src');
  var paused = false;
  var es;
  function connect() {
    if (!src || !window.EventSource) return;
    es = new EventSource(src);
    es.addEventListener('update', function (e) {
      if (paused) return;
      var data;
      try { data = JSON.parse(e.data); } catch { return; }
      var changed = false;
      var nodes = document.querySelectorAll('[data-live]');
      for (var i = 0; i < nodes.length; i++) {
        var el = nodes[i];
        var key = el.getAttribute('data-live');
        if (!Object.prototype.hasOwnProperty.call(data.values, key)) continue;
        var text = String(data.values[key]);
        if (el.textContent === text) continue;
        el.textContent = text;
        if (el.classList.contains('badge')) el.className = 'badge s-' + text;
        else if (el.classList.contains('health')) el.className = 'health h-' + text;
        el.classList.add('changed');
        (function (node) { setTimeout(function () { node.classList.remove('changed'); }, 1500); })(el);
        changed = true;
      }
      var note = document.querySelector('[data-live-notice]');
      if (changed && note) note.hidden = false;
    });
    es.addEventListener('expired', function () {
      es.close();
      var login = document.body.getAttribute('data-login');
      if (login) window.location.href = login;
    });
  }
  connect();
  var toggle = document.querySelector('[data-live-toggle]');
  if (toggle) {
    toggle.addEventListener('click', function () {
      paused = !paused;
      toggle.setAttribute('aria-pressed', String(paused));
      toggle.textContent = paused ? 'Resume live updates' : 'Pause live updates';
    });
  }

  // Select all: a box in a table head ticks every "ids" box of its form.
  var alls = document.querySelectorAll('[data-select-all]');
  for (var j = 0; j < alls.length; j++) {
    alls[j].addEventListener('change', function (e) {
      var box = e.target;
      var boxes = box.form ? box.form.querySelectorAll('input[name="ids"]') : [];
      for (var k = 0; k < boxes.length; k++) boxes[k].checked = box.checked;
    });
  }

  // A form sent with GET must not carry a personal code into the address bar or a server log.
  var PERSONAL_CODE = /^\s*\d{6}-?\d{5}\s*$/;
  var guarded = document.querySelectorAll('form[data-no-personal-codes]');
  for (var g = 0; g < guarded.length; g++) {
    guarded[g].addEventListener('submit', function (e) {
      var inputs = e.target.querySelectorAll('input[type="text"], input:not([type])');
      for (var n = 0; n < inputs.length; n++) {
        if (PERSONAL_CODE.test(inputs[n].value)) {
          e.preventDefault();
          var target = document.getElementById('f-person');
          if (target) {
            target.value = inputs[n].value.trim();
            inputs[n].value = '';
            target.focus();
          }
          window.alert('That is a personal code. It was moved to the “Find a person” form, which sends it without putting it in the address.');
          return;
        }
      }
    });
  }
})();
