// Settings no check enforces: the baselines the anomaly detectors compare the trail against (the declared
// daily average: anomalies/detectors/daily-volume.ts; the distinct operatori a day: operatori-count.ts).
import { setting } from './setting.ts'

export const mediaGiornaliera = setting({
  name: 'mediaGiornaliera',
  column: 'media_giornaliera',
  sqlType: 'integer',
  schema: { type: 'integer', minimum: 1 },
  cli: { flag: '--media-giornaliera <N>', description: 'declared average calls a day' },
  create: { nullable: true },
})

export const maxOperatori = setting({
  name: 'maxOperatori',
  column: 'max_operatori',
  sqlType: 'integer',
  schema: { type: 'integer', minimum: 1 },
  cli: { flag: '--max-operatori <N>', description: 'maximum distinct operatori a day' },
  create: { nullable: true },
})
