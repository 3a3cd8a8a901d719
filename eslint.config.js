// The linter's rules: ESLint's and typescript-eslint's recommended sets for the whole repository,
// with the exceptions below, each for a reason. Formatting is prettier's job (`npm run lint` runs both).
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "scratch/", "coverage/", ".bench/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `catch (e)` stays named: the firmware is ES5, which has no `catch {}`.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { caughtErrors: "none", argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      // A `let` read by a closure before its one assignment stays a `let`.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      // Console output and wire bytes are matched with control characters on purpose.
      "no-control-regex": "off",
    },
  },
  {
    // Espruino's module loader is `require`; its globals are declared with `var`.
    files: ["firmware/**/*.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off", "no-var": "off" },
  },
  {
    // The host runtime models the interpreter's own functions, which the sandbox calls with its
    // `this`; the stack object is reached through an alias, and `Function` is the type it models.
    files: ["tools/host-runtime/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-function-type": "off",
      "@typescript-eslint/no-this-alias": ["error", { allowedNames: ["stack", "st", "events"] }],
    },
  },
  { files: ["tools/watch/page/**/*.js"], languageOptions: { globals: globals.browser } },
  { files: ["*.js", "tools/**/*.js"], ignores: ["tools/watch/page/**"], languageOptions: { globals: globals.node } },
);
