import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Two pages, no framework, no external requests (fonts, CDNs): the bundle is what a phone on
// a TV night downloads. The edge (nginx) serves dist/ at the API's origin.
export default defineConfig({
  root: import.meta.dirname,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    rollupOptions: { input: { voter: resolve(import.meta.dirname, 'index.html'), admin: resolve(import.meta.dirname, 'admin.html') } },
  },
});
