// The career-path explorer: Cytoscape.js with the dagre layout (left to right), nodes coloured by kind, a click
// expands a node's neighbours (GET /ui/carrieres/voisins) and shows its details; the lists under the graph are its
// text alternative, with one keyboard-reachable button per node.
(function () {
  "use strict";
  const box = document.getElementById("graphe");
  if (!box) return;
  const kinds = JSON.parse(box.dataset.kinds);
  const colour = (kind) => (kinds[kind] || kinds.Occupation)[1];
  const kindName = (kind) => (kinds[kind] || kinds.Occupation)[0];
  const cy = cytoscape({
    container: box,
    minZoom: 0.05,
    maxZoom: 3,
    style: [
      { selector: "node", style: {
        "background-color": "data(colour)", "label": "data(label)", "font-size": 10, "color": "#111",
        "text-outline-color": "#fff", "text-outline-width": 2, "text-valign": "bottom", "text-margin-y": 3,
        "width": 14, "height": 14, "min-zoomed-font-size": 7, "text-max-width": 140, "text-wrap": "ellipsis" } },
      { selector: "node.expanded", style: { "width": 20, "height": 20, "border-width": 2, "border-color": "#111" } },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#b35c00" } },
      { selector: "edge", style: { "width": 1, "line-color": "#8a8a8a", "curve-style": "bezier",
        "target-arrow-shape": "triangle", "target-arrow-color": "#8a8a8a", "arrow-scale": 0.6 } },
      { selector: "edge[kind = 'proche']", style: { "line-color": "#1f5fa8", "target-arrow-color": "#1f5fa8", "line-style": "dashed" } },
      { selector: "edge[kind = 'evolution']", style: { "line-color": "#8a3b12", "target-arrow-color": "#8a3b12", "width": 2 } },
      { selector: "edge.route", style: { "label": "data(name)", "font-size": 8, "text-rotation": "autorotate",
        "text-outline-color": "#fff", "text-outline-width": 2 } },
    ],
  });
  const nodeList = document.getElementById("liste-noeuds");
  const edgeList = document.getElementById("liste-liens");
  const count = document.getElementById("compte-noeuds");

  function listNode(node) {
    const item = document.createElement("li");
    item.id = "n-" + cy.nodes().length;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = node.label + (node.code ? " (" + node.code + ")" : "");
    button.addEventListener("click", () => select(node.id));
    item.append(button, " — " + kindName(node.kind));
    nodeList.append(item);
  }

  function listEdge(edge) {
    const item = document.createElement("li");
    const label = (id) => { const n = cy.getElementById(id); return n.nonempty() ? n.data("label") : id; };
    item.textContent = label(edge.source) + " → " + label(edge.target) + " : " + (edge.name || edge.kind);
    edgeList.append(item);
  }

  function add(elements, options) {
    const added = [];
    cy.batch(() => {
      for (const node of elements.nodes) {
        if (cy.getElementById(node.id).nonempty()) continue;
        added.push(cy.add({ group: "nodes", data: Object.assign({ colour: colour(node.kind) }, node) }));
        listNode(node);
      }
      for (const edge of elements.edges) {
        if (cy.getElementById(edge.id).nonempty()) continue;
        const created = cy.add({ group: "edges", data: edge });
        if (options && options.route) created.addClass("route");
        listEdge(edge);
      }
    });
    count.textContent = String(cy.nodes().length);
    return added;
  }

  // Left to right, laid out by dagre in a worker (static/layout-worker.js) so that the page stays responsive with
  // hundreds of nodes; where workers are unavailable, on the main thread through cytoscape-dagre.
  const DAGRE = { rankDir: "LR", nodeSep: 8, rankSep: 90, edgeSep: 4 };
  const worker = window.Worker ? new Worker("/ui/static/layout-worker.js") : null;
  const pending = new Map();
  let requested = 0;
  let settledLayout = Promise.resolve(0);
  if (worker) {
    worker.onmessage = (event) => {
      const resolve = pending.get(event.data.id);
      pending.delete(event.data.id);
      if (resolve) resolve(event.data.positions);
    };
  }

  function place(positions) {
    cy.layout({ name: "preset", positions: (node) => positions[node.id()] || node.position(), fit: true,
      padding: 20, animate: false }).run();
  }

  // Resolves, once the nodes are placed, with the milliseconds the layout took (positions of an older request
  // that a newer one overtook are not applied).
  function layout(options) {
    const started = performance.now();
    const id = ++requested;
    let done;
    if (!worker || (options && options.mainThread)) {  // mainThread: the tests compare both
      cy.layout(Object.assign({ name: "dagre", animate: false }, DAGRE)).run();
      cy.fit(undefined, 20);
      done = Promise.resolve();
    } else {
      const nodes = cy.nodes().map((n) => { const d = n.layoutDimensions({}); return { id: n.id(), w: d.w, h: d.h }; });
      const edges = cy.edges().map((e) => ({ id: e.id(), source: e.source().id(), target: e.target().id() }));
      done = new Promise((resolve) => { pending.set(id, resolve); })
        .then((positions) => { if (id === requested) place(positions); });
      worker.postMessage({ id, nodes, edges, options: DAGRE });
    }
    settledLayout = done.then(() => performance.now() - started);
    box.dataset.layouts = String(id);
    return settledLayout;
  }

  async function expand(uri) {
    const response = await fetch("/ui/carrieres/voisins?uri=" + encodeURIComponent(uri),
      { headers: { "Accept": "application/json" }, credentials: "same-origin" });
    if (!response.ok) return;
    const elements = await response.json();
    add(elements);
    cy.getElementById(uri).addClass("expanded");
    box.dataset.expanded = String(cy.nodes(".expanded").length);
    await layout();
  }

  function details(uri) {
    htmx.ajax("GET", "/ui/carrieres/noeud?uri=" + encodeURIComponent(uri), { target: "#details", swap: "innerHTML" });
  }

  function select(uri) {
    const expanding = cy.getElementById(uri).hasClass("expanded") ? Promise.resolve() : expand(uri);
    return expanding.then(() => {
      cy.nodes().unselect();
      cy.getElementById(uri).select();
      details(uri);
    });
  }

  cy.on("tap", "node", (event) => select(event.target.id()));
  // `settled()`: the latest layout's promise (tests wait on it before reading positions).
  window.vivierExplorer = { cy, add, layout, expand, select, settled: () => settledLayout };

  const routeData = document.getElementById("route-data");
  const route = routeData ? JSON.parse(routeData.textContent) : null;
  if (route && box.dataset.layout === "route") {
    add(route, { route: true });
    layout();
  } else if (box.dataset.uri) {
    select(box.dataset.uri);
  }
})();
