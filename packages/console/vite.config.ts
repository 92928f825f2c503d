import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Everything ships in dist/ (no CDN): `hub serve` serves it at /.
export default defineConfig({
  plugins: [react()],
  base: '/',
  // The flow editor (CodeMirror) is its own chunk, loaded only when a flow is edited.
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
});
