// Placeholder build: copies the static page to dist/ so the Docker build has an SPA stage.
// The real SPA (Vite + React + TypeScript) replaces this in its own issue.
import { cpSync, mkdirSync } from "node:fs";

mkdirSync("dist", { recursive: true });
cpSync("index.html", "dist/index.html");
console.log("frontend placeholder built into dist/");
