import { describe, expect, it } from "vitest";
import { detectModel, type ModelFacts } from "./detect-model.ts";

const sd15: ModelFacts = {
  modelIndex: { _class_name: "OnnxStableDiffusionPipeline" },
  schedulerConfig: { _class_name: "PNDMScheduler", prediction_type: "epsilon", timestep_spacing: "leading" },
  unetConfig: { sample_size: 64, in_channels: 4, cross_attention_dim: 768 },
  textEncoderConfig: { hidden_size: 768 },
  hasTextEncoder2: false,
  hasTextEncoder: true,
  tokenizerPadsWithEos: true,
  unet: { sampleChannels: 4, hasAddedConditioning: false, takesTimestepCond: false },
};

describe("detectModel", () => {
  it("tells SDXL's refiner by any one of its marks, and never an SD 1.x model", () => {
    const sdxlBase: ModelFacts = {
      ...sd15,
      modelIndex: { _class_name: "ORTStableDiffusionXLPipeline" },
      hasTextEncoder2: true,
      unet: { sampleChannels: 4, hasAddedConditioning: true, takesTimestepCond: false, timeIdCount: 6 },
    };
    expect(detectModel(sdxlBase)).toMatchObject({ family: "sdxl", refiner: false });
    const marks: Partial<ModelFacts>[] = [
      { modelIndex: { _class_name: "ORTStableDiffusionXLImg2ImgPipeline", requires_aesthetics_score: true } },
      { hasTextEncoder: false },
      { unet: { ...sdxlBase.unet, timeIdCount: 5 } },
    ];
    for (const mark of marks) {
      expect(detectModel({ ...sdxlBase, ...mark }), JSON.stringify(mark)).toMatchObject({
        family: "sdxl-refiner",
        architecture: "sdxl",
        refiner: true,
      });
    }
    expect(detectModel({ ...sd15, modelIndex: { requires_aesthetics_score: true } }).refiner).toBe(false);
  });

  it("tells SD 1.x, SD 2.x (v-prediction) and SDXL apart", () => {
    expect(detectModel(sd15)).toMatchObject({
      family: "sd15",
      architecture: "sd1",
      defaultScheduler: "euler",
      defaultScalingFactor: 0.18215,
      nativeSidePx: 512,
      forceZerosForEmptyPrompt: false,
    });
    const sd2v = detectModel({
      ...sd15,
      schedulerConfig: { prediction_type: "v_prediction" },
      unetConfig: { sample_size: 96 },
      tokenizerPadsWithEos: false,
    });
    expect(sd2v).toMatchObject({
      family: "sd2-v",
      architecture: "sd2",
      predictionType: "v_prediction",
      nativeSidePx: 768,
    });
    expect(detectModel({ ...sd15, tokenizerPadsWithEos: false })).toMatchObject({ family: "sd2" });
    const sdxl = detectModel({
      ...sd15,
      modelIndex: { _class_name: "ORTStableDiffusionXLPipeline" },
      unetConfig: { sample_size: 128 },
      hasTextEncoder2: true,
      unet: { sampleChannels: 4, hasAddedConditioning: true, takesTimestepCond: false },
    });
    expect(sdxl).toMatchObject({
      family: "sdxl",
      defaultScalingFactor: 0.13025,
      nativeSidePx: 1024,
      forceZerosForEmptyPrompt: true,
    });
    expect(
      detectModel({ ...sd15, hasTextEncoder2: true, modelIndex: { force_zeros_for_empty_prompt: false } })
        .forceZerosForEmptyPrompt,
    ).toBe(false);
  });

  it("finds LCM by its timestep_cond input, Turbo by its trailing schedule or name, inpainting by 9 channels", () => {
    const lcm = detectModel({ ...sd15, unet: { ...sd15.unet, takesTimestepCond: true } });
    expect(lcm).toMatchObject({ family: "lcm", distillation: "lcm", defaultScheduler: "lcm" });
    const turbo = detectModel({ ...sd15, schedulerConfig: { timestep_spacing: "trailing" } });
    expect(turbo).toMatchObject({ family: "turbo", distillation: "turbo", defaultScheduler: "euler_a" });
    expect(detectModel({ ...sd15, modelIndex: { _name_or_path: "stabilityai/sd-turbo" } }).family).toBe(
      "turbo",
    );
    const inpaint = detectModel({ ...sd15, unet: { ...sd15.unet, sampleChannels: 9 } });
    expect(inpaint).toMatchObject({ family: "sd15-inpaint", inpainting: true });
    expect(
      detectModel({
        ...sd15,
        unet: { ...sd15.unet, sampleChannels: undefined },
        unetConfig: { in_channels: 9 },
      }).inpainting,
    ).toBe(true);
  });
});
