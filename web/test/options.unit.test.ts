import { describe, expect, it } from 'vitest';
import { CreateElectionBody } from '@urna/domain';
import { optionsFromLines } from '../src/options.ts';

describe('admin console: options typed one per line', () => {
  it('become unique, valid option ids with the lines as labels', () => {
    const options = optionsFromLines('  Cats \n\nDogs & Wolves\nÉlan vital\ncats\n!!!\n');
    expect(options).toEqual([
      { id: 'cats', label: 'Cats' },
      { id: 'dogs-wolves', label: 'Dogs & Wolves' },
      { id: 'elan-vital', label: 'Élan vital' },
      { id: 'cats-4', label: 'cats' },
      { id: 'option-5', label: '!!!' },
    ]);
    expect(CreateElectionBody.safeParse({ title: 'T', options }).success).toBe(true);
  });
});
