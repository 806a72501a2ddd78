// ESLint for the browser code: the console's ES modules and the web chat's script (make lint).
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["**/vendor/**", "node_modules/**", ".venv/**"] },
  js.configs.recommended,
  {
    files: ["bot/handoff/static/console/**/*.js"],
    languageOptions: {
      sourceType: "module",
      globals: { ...globals.browser, uPlot: "readonly" }, // the chart library, a classic script
    },
  },
  {
    files: ["bot/webchat/static/**/*.js"],
    languageOptions: { sourceType: "script", globals: globals.browser },
  },
  {
    rules: {
      "no-shadow": "error",
      "no-var": "error",
      "prefer-const": "error",
      eqeqeq: "error",
    },
  },
];
