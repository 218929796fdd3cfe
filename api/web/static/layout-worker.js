// The career graph's dagre layout, off the page's main thread: a few hundred nodes take a second or more to lay
// out, during which the page would not answer clicks or keys. The page posts the nodes (with their drawn size) and
// edges; this worker answers each node's position, the same dagre graph cytoscape-dagre would build.
/* global dagre */
"use strict";
importScripts("/ui/static/vendor/dagre.min.js");

self.onmessage = (event) => {
  const { id, nodes, edges, options } = event.data;
  const g = new dagre.graphlib.Graph({ multigraph: true, compound: true });
  g.setGraph({ rankdir: options.rankDir, nodesep: options.nodeSep, ranksep: options.rankSep, edgesep: options.edgeSep });
  g.setDefaultEdgeLabel(() => ({}));
  g.setDefaultNodeLabel(() => ({}));
  for (const node of nodes) g.setNode(node.id, { width: node.w, height: node.h, name: node.id });
  for (const edge of edges) g.setEdge(edge.source, edge.target, { minlen: 1, weight: 1, name: edge.id }, edge.id);
  dagre.layout(g);
  const positions = {};
  for (const name of g.nodes()) {
    const placed = g.node(name);
    positions[name] = { x: placed.x, y: placed.y };
  }
  self.postMessage({ id, positions });
};
