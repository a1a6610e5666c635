/* Lotse: BPMN diagrams with bpmn-js (navigated viewer, served from /vendor). No inline scripts (CSP).

   <div data-diagram data-xml="…" data-marks='[{"id", "kind", "badge", "label"}]'> is drawn; each mark becomes a
   marker class "lotse-mark--<kind>" on the element (styled in diagram.css) plus an overlay badge. Buttons with
   data-diagram-target and data-element-id (hidden until the diagram is ready) zoom to their element. */
(function () {
  "use strict";

  var viewers = {};

  function setStatus(container, text) {
    var status = document.getElementById(container.id + "-status");
    if (status) { status.textContent = text; }
  }

  function fail(container) {
    container.classList.add("diagram__canvas--failed");
    var box = document.createElement("div");
    box.className = "notice notice--warning";
    var p = document.createElement("p");
    p.textContent = container.getAttribute("data-msg-failed") || "";
    box.appendChild(p);
    container.replaceChildren(box);
  }

  function badge(mark) {
    var el = document.createElement("span");
    el.className = "diagram-badge diagram-badge--" + mark.kind.replace(/[^a-z0-9-]/g, "");
    el.textContent = mark.badge;
    el.title = mark.label || "";
    el.setAttribute("aria-hidden", "true");  // the page lists the same facts as text
    return el;
  }

  function applyMarks(viewer, marks) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    marks.forEach(function (mark) {
      var element = registry.get(mark.id);
      if (!element) { return; }
      canvas.addMarker(mark.id, "lotse-mark--" + mark.kind);
      if (!mark.badge) { return; }
      // Shapes: badge at the top left corner; flows: at the middle of their first segment.
      var position = {top: -14, left: -10};
      if (element.waypoints) {
        var a = element.waypoints[0], b = element.waypoints[1] || a, box = bounds(element);
        position = {top: (a.y + b.y) / 2 - box.y - 12, left: (a.x + b.x) / 2 - box.x - 10};
      }
      // Badges keep a readable size when a large process is zoomed out to fit.
      overlays.add(mark.id, "lotse", {position: position, html: badge(mark), scale: {min: 0.8}});
    });
  }

  function labelCanvas(container) {
    var svg = container.querySelector("svg");
    if (!svg) { return; }
    // The canvas is focusable (arrow keys move it): give it a name and a role screen readers understand.
    svg.setAttribute("role", "group");
    svg.setAttribute("aria-label", container.getAttribute("data-label") || "");
    var logo = container.querySelector(".bjs-powered-by");
    if (logo) { logo.setAttribute("aria-label", "Powered by bpmn.io"); }
  }

  function bounds(element) {
    if (!element.waypoints) { return {x: element.x, y: element.y, width: element.width, height: element.height}; }
    var xs = element.waypoints.map(function (p) { return p.x; });
    var ys = element.waypoints.map(function (p) { return p.y; });
    var x = Math.min.apply(null, xs), y = Math.min.apply(null, ys);
    return {x: x, y: y, width: Math.max.apply(null, xs) - x, height: Math.max.apply(null, ys) - y};
  }

  function show(diagramId, elementId) {
    var entry = viewers[diagramId];
    if (!entry) { return; }
    var canvas = entry.viewer.get("canvas");
    var element = entry.viewer.get("elementRegistry").get(elementId);
    if (!element) {
      setStatus(entry.container, entry.container.getAttribute("data-msg-missing") || "");
      return;
    }
    var root = canvas.findRoot(element);
    if (root && root !== canvas.getRootElement()) { canvas.setRootElement(root); }
    var box = bounds(element);
    var outer = canvas.viewbox().outer;
    var scale = 1;
    canvas.viewbox({x: box.x + box.width / 2 - outer.width / scale / 2,
                    y: box.y + box.height / 2 - outer.height / scale / 2,
                    width: outer.width / scale, height: outer.height / scale});
    if (entry.focused) { canvas.removeMarker(entry.focused, "lotse-mark--focus"); }
    canvas.addMarker(elementId, "lotse-mark--focus");
    entry.focused = elementId;
    entry.container.scrollIntoView({block: "nearest"});
    var name = (element.businessObject && element.businessObject.name) || elementId;
    setStatus(entry.container, (entry.container.getAttribute("data-msg-shown") || "") + " " + name);
  }

  function revealButtons(diagramId) {
    var registry = viewers[diagramId].viewer.get("elementRegistry");
    document.querySelectorAll('[data-diagram-target="' + diagramId + '"]').forEach(function (button) {
      if (registry.get(button.getAttribute("data-element-id"))) { button.hidden = false; }
    });
  }

  // A wide process needs less height than a tall one: size the frame to the drawing (within limits), then fit.
  function fitHeight(container, viewer) {
    var canvas = viewer.get("canvas");
    var box = canvas.getActiveLayer().getBBox();
    if (box.width > 0) {
      var height = container.clientWidth * box.height / box.width + 90;
      container.style.height = Math.round(Math.min(640, Math.max(300, height))) + "px";
      canvas.resized();
    }
    canvas.zoom("fit-viewport", "auto");
  }

  // Labels stay legible from this zoom on; a large model opens on its focus (current steps, busiest activities).
  var LEGIBLE = 0.8;

  function focusOn(container, viewer) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var elements = (container.getAttribute("data-focus") || "").split(" ").map(function (id) {
      return id ? registry.get(id) : null;
    }).filter(function (el) { return el && canvas.findRoot(el) === canvas.getRootElement(); });
    if (elements.length && canvas.zoom() < LEGIBLE) {
      var boxes = elements.map(bounds);
      var x0 = Math.min.apply(null, boxes.map(function (b) { return b.x; }));
      var y0 = Math.min.apply(null, boxes.map(function (b) { return b.y; }));
      var x1 = Math.max.apply(null, boxes.map(function (b) { return b.x + b.width; }));
      var y1 = Math.max.apply(null, boxes.map(function (b) { return b.y + b.height; }));
      var outer = canvas.viewbox().outer;
      var scale = Math.max(LEGIBLE, Math.min(1, outer.width / (x1 - x0 + 200), outer.height / (y1 - y0 + 160)));
      canvas.viewbox({x: (x0 + x1) / 2 - outer.width / scale / 2, y: (y0 + y1) / 2 - outer.height / scale / 2,
                      width: outer.width / scale, height: outer.height / scale});
    }
    container.setAttribute("data-zoom", canvas.zoom().toFixed(2));
    var fit = document.querySelector('[data-diagram-fit="' + container.id + '"]');
    if (fit) { fit.hidden = false; }
  }

  function fitAll(diagramId) {
    var entry = viewers[diagramId];
    if (!entry) { return; }
    var canvas = entry.viewer.get("canvas");
    canvas.zoom("fit-viewport", "auto");
    entry.container.setAttribute("data-zoom", canvas.zoom().toFixed(2));
  }

  function draw(container) {
    if (container.getAttribute("data-drawn") || typeof window.BpmnJS === "undefined") { return; }
    container.setAttribute("data-drawn", "1");
    var marks = [];
    try { marks = JSON.parse(container.getAttribute("data-marks") || "[]"); } catch (e) { marks = []; }
    container.replaceChildren();
    var viewer = new window.BpmnJS({container: container});
    viewers[container.id] = {viewer: viewer, container: container, focused: null};
    viewer.importXML(container.getAttribute("data-xml") || "").then(function () {
      fitHeight(container, viewer);
      focusOn(container, viewer);
      applyMarks(viewer, marks);
      labelCanvas(container);
      container.classList.add("diagram__canvas--ready");
      revealButtons(container.id);
    }).catch(function () {
      delete viewers[container.id];
      viewer.destroy();
      fail(container);
    });
  }

  function drawAll(root) {
    if (root && root.matches && root.matches("[data-diagram]")) { draw(root); }
    (root || document).querySelectorAll("[data-diagram]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:load", function (event) { drawAll(event.detail.elt); });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-diagram-target]") : null;
    if (button) { show(button.getAttribute("data-diagram-target"), button.getAttribute("data-element-id")); }
    var fit = event.target.closest ? event.target.closest("[data-diagram-fit]") : null;
    if (fit) { fitAll(fit.getAttribute("data-diagram-fit")); }
  });
})();
