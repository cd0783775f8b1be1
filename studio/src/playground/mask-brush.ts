/**
 * An inpainting mask painted over an image: white where the model repaints, black where it keeps
 * (the contract's `mask`). The mask is drawn at the image's own size, whatever size it is shown at.
 */
export class MaskBrush {
  readonly #mask: HTMLCanvasElement;
  readonly #context: CanvasRenderingContext2D;
  #painted = false;

  constructor(width: number, height: number) {
    this.#mask = document.createElement("canvas");
    this.#mask.width = width;
    this.#mask.height = height;
    const context = this.#mask.getContext("2d");
    if (context === null) throw new Error("This browser cannot draw on a canvas.");
    this.#context = context;
    this.fill("black");
  }

  get painted(): boolean {
    return this.#painted;
  }

  /** Paints a round dab of `radius` image pixels at (x, y), in image pixels. */
  dab(x: number, y: number, radius: number, erase = false): void {
    this.#context.fillStyle = erase ? "black" : "white";
    this.#context.beginPath();
    this.#context.arc(x, y, radius, 0, Math.PI * 2);
    this.#context.fill();
    this.#painted = true;
  }

  /** The whole image repainted (white) or kept (black). */
  fill(colour: "white" | "black"): void {
    this.#context.fillStyle = colour;
    this.#context.fillRect(0, 0, this.#mask.width, this.#mask.height);
    this.#painted = colour === "white";
  }

  invert(): void {
    this.#context.globalCompositeOperation = "difference";
    this.#context.fillStyle = "white";
    this.#context.fillRect(0, 0, this.#mask.width, this.#mask.height);
    this.#context.globalCompositeOperation = "source-over";
    this.#painted = true;
  }

  /** Draws the mask over `view` (sized like the image) as a translucent tint where it repaints. */
  show(view: HTMLCanvasElement): void {
    const context = view.getContext("2d");
    if (context === null) return;
    context.clearRect(0, 0, view.width, view.height);
    context.globalAlpha = 0.5;
    context.drawImage(this.#mask, 0, 0, view.width, view.height);
    context.globalAlpha = 1;
  }

  /** The mask as a PNG data URL, for the request's `mask`. */
  toDataUrl(): string {
    return this.#mask.toDataURL("image/png");
  }
}
