import type { Run } from "@sdgate/shared";

/** A run's images as small thumbnails (each its own signed link), each opening the full image. */
export function RunThumbs(props: { run: Run; limit?: number }) {
  const images = props.run.images.slice(0, props.limit ?? props.run.images.length);
  return (
    <span class="thumbs">
      {images.map((image, index) =>
        image.url === null || image.thumb_url === null ? null : (
          <a key={image.seed} href={image.url} target="_blank" rel="noopener">
            <img
              src={image.thumb_url}
              alt={`Output ${index + 1}, seed ${image.seed}`}
              width={56}
              height={56}
              loading="lazy"
              decoding="async"
            />
          </a>
        ),
      )}
    </span>
  );
}
