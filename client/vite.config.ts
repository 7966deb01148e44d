import { defineConfig } from 'vite';

// The backend node serves dist/ at `/`; `npm run dev` serves src with hot reload and talks to a node on :2567.
export default defineConfig({
  base: './',
  server: { port: 5173 },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000, // Phaser alone is ~1.3 MB minified; the size report enforces the real budget (gzip)
    rolldownOptions: {
      output: {
        // Phaser changes rarely: a separate chunk stays cached across client releases.
        manualChunks: (id: string) => (id.includes('node_modules/phaser') ? 'phaser' : undefined),
      },
    },
  },
});
