// The scenario `blemesh start` and `blemesh sim` run when given none.
import cityBlock from './scenarios/city-block.json' with { type: 'json' }
import { parseScenario, type Scenario } from './scenario.js'

export function defaultScenario (): Scenario {
  return parseScenario(cityBlock)
}
