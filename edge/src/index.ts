// Entry of @urna/edge for the launcher and tests: the nginx config template, its renderer and settings.
export { EdgeConfig, prepareEdge, readEdgeConfig, renderTemplate, type EdgeSetup } from './edge.ts';
