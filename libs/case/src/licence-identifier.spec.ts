import {
  buildLicenceIdentifier,
  isValidLicenceIdentifier,
  licenceSerial,
  mod3736CheckChar,
  mod3736Valid,
  parseLicenceIdentifier,
} from './licence-identifier';

describe('电子证照标识 GB/T 36904 licence identifier', () => {
  it('reproduces a published identifier (the worked example of docs/departments.md 1.11), check character U', () => {
    // 11100000000013338W011: a type of the national catalogue; 11430000006122244L its Hunan issuer.
    const id = buildLicenceIdentifier({ typeCode: '11100000000013338W011', issuerCode: '11430000006122244L', serial: '20230000403', version: '001' });
    expect(id).toBe('1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U');
    expect(mod3736CheckChar('11100000000013338W01111430000006122244L20230000403001')).toBe('U');
  });

  it('agrees with identifiers published by other issuers (serials of 7, 10 and 20 characters, version 002)', () => {
    for (const id of [
      '1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F',
      '1.2.156.3005.2.11100000000013338W087.11370800MB28559184.37080001202411010001.001.3',
      '1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0',
    ]) {
      const parts = parseLicenceIdentifier(id);
      expect(parts).not.toBeNull();
      expect(buildLicenceIdentifier(parts!)).toBe(id);
    }
  });

  it('works a gateway identifier by hand: SCJG issues the first licence of 2026 of its type', () => {
    // type 11430626MB12345625001 + issuer 11430626MB12345625 + serial 2026 0000001 + version 001
    const serial = licenceSerial(2026, 1);
    expect(serial).toBe('20260000001');
    const id = buildLicenceIdentifier({ typeCode: '11430626MB12345625001', issuerCode: '11430626MB12345625', serial, version: '001' });
    expect(id).toBe('1.2.156.3005.2.11430626MB12345625001.11430626MB12345625.20260000001.001.D');
    expect(isValidLicenceIdentifier(id)).toBe(true);
  });

  it('the check character catches a changed character and a swap of neighbours', () => {
    const good = '11100000000013338W01111430000006122244L20230000403001U';
    expect(mod3736Valid(good)).toBe(true);
    for (let i = 0; i < good.length - 1; i++) {
      const changed = good.slice(0, i) + (good[i] === '7' ? '8' : '7') + good.slice(i + 1);
      expect(mod3736Valid(changed)).toBe(false);
      if (good[i] !== good[i + 1]) expect(mod3736Valid(good.slice(0, i) + good[i + 1] + good[i] + good.slice(i + 2))).toBe(false);
    }
    expect(isValidLicenceIdentifier('1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.V')).toBe(false);
  });

  it('refuses parts that cannot form an identifier', () => {
    const ok = { typeCode: '11100000000013338W011', issuerCode: '11430000006122244L', serial: '20230000403', version: '001' };
    expect(() => buildLicenceIdentifier({ ...ok, typeCode: '0000120001000' })).toThrow(/type code/);
    expect(() => buildLicenceIdentifier({ ...ok, issuerCode: '114300000061222' })).toThrow(/issuer/);
    expect(() => buildLicenceIdentifier({ ...ok, serial: '湘2023-1' })).toThrow(/serial/);
    expect(() => buildLicenceIdentifier({ ...ok, version: '1' })).toThrow(/version/);
    expect(() => licenceSerial(2026, 10_000_000)).toThrow(RangeError);
    expect(parseLicenceIdentifier('2.16.156.11100000000013338W011')).toBeNull();
  });
});
