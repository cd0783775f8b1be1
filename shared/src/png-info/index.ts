export { comfyRequest } from "./comfy.ts";
export { type Infotext, MAX_INFOTEXT_CHARS, parseInfotext } from "./infotext.ts";
export { isPng, MAX_TEXT_BYTES, readPngText } from "./png-text.ts";
export {
  type ImageRecipe,
  type RecipeFields,
  type RecipeRefiner,
  readImageRecipe,
  recipeOfInfotext,
} from "./recipe.ts";
