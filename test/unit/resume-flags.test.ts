import { describe, expect, it } from 'vitest';
import { FIXED_ON_RESUME, resumeFlags } from '../../scripts/lib/resume-flags.js';

const defaults = { out: 'model', 'score-from': 'score', monitor: 'val_score_loss', epochs: '10', 'learning-rate': '0.001', units: '64', version: '2026.11.28-1', dropout: '0.5' };
const saved = {
  dataset: '/data/ds', out: '/runs/m', 'score-from': 'family', monitor: 'val_auc', epochs: '10', 'learning-rate': '0.0003', units: '64',
  version: 'exp-1', dropout: '0.3', 'quantization-aware': true, bigrams: true, 'bigram-dropout': '0.5', resume: undefined, 'init-from': undefined,
};

describe('resumeFlags (train.ts --resume continues the run it resumes)', () => {
  it('takes every flag not given from the checkpoint, not from the defaults', () => {
    const { values, inherited } = resumeFlags(saved, { resume: '/runs/m/checkpoint', epochs: '12' }, defaults);
    expect(values).toMatchObject({ out: '/runs/m', 'score-from': 'family', monitor: 'val_auc', 'learning-rate': '0.0003', version: 'exp-1', dropout: '0.3', 'quantization-aware': true, 'bigram-dropout': '0.5' });
    expect(values.epochs).toBe('12'); // given: the loop's settings may change
    expect(values.resume).toBe('/runs/m/checkpoint');
    expect(inherited).toContain('--quantization-aware');
    expect(inherited).toContain('--score-from family');
    expect(inherited).not.toContain('--epochs 10'); // same as the default: not worth a log line
  });

  it('lets the training loop change: learning rate, version, output, where the score is read (README step 3b)', () => {
    const { values } = resumeFlags({ ...saved, 'score-from': 'score' }, { 'learning-rate': '0.0001', version: 'exp-2', out: '/runs/m2', 'score-from': 'family' }, defaults);
    expect(values).toMatchObject({ 'learning-rate': '0.0001', version: 'exp-2', out: '/runs/m2', 'score-from': 'family', monitor: 'val_auc' });
  });

  it('refuses a different model or data selection, and accepts the same value given again', () => {
    expect(() => resumeFlags(saved, { units: '128' }, defaults)).toThrow(/--units 128: the checkpoint's run used --units 64/);
    expect(() => resumeFlags(saved, { padding: 'count' }, defaults)).toThrow(/--init-from to change it/);
    expect(() => resumeFlags({ ...saved, bigrams: undefined }, { bigrams: true }, defaults)).toThrow(/--bigrams true: the checkpoint's run used no --bigrams/);
    expect(resumeFlags(saved, { units: '64', bigrams: true }, defaults).values.units).toBe('64');
    // a flag the saved run left at its default counts as that default
    expect(() => resumeFlags({ out: '/runs/m' }, { dropout: '0.3' }, defaults)).toThrow(/used --dropout 0.5/);
    expect(FIXED_ON_RESUME).toContain('padding');
  });

  it('switches quantization-aware training on (never off: the switch has no negative form)', () => {
    const float = { ...saved, 'quantization-aware': undefined };
    expect(resumeFlags(float, {}, defaults).values['quantization-aware']).toBeUndefined();
    expect(resumeFlags(float, { 'quantization-aware': true }, defaults).values['quantization-aware']).toBe(true);
  });

  it('never inherits how the saved run started (--init-from) or --help', () => {
    const { values } = resumeFlags({ ...saved, 'init-from': '/model/tfjs', help: true }, { resume: '/runs/m/checkpoint' }, defaults);
    expect(values['init-from']).toBeUndefined();
    expect(values.help).toBeUndefined();
  });
});
